"""keybus: a DSC PowerSeries Keybus hub for ESPHome (docs/esphome.md).

The hub (`keybus:`) owns one bus: the C engine of this repository (include/keybus,
src/core) behind a port seam. On ESP32 (esp-idf framework) the seam is the ESP-IDF
component ports/esp-idf (keybus_esp.h: a static task, the clock interrupt attached
through ESPHome's own InternalGPIOPin::attach_interrupt); on the `host` platform it
is the simulated panel of src/sim on a virtual wire, so the whole component runs on
a PC. Entities (alarm_control_panel, binary_sensor, sensor, text_sensor) are
platforms of this hub; they are only touched from the hub's loop().

How the engine sources reach a build: ESPHome copies only the files directly in
this folder. This module finds the repository from its own path (four levels up:
ports/esphome/components/keybus) and, in to_code(), copies the engine sources the
platform needs into the generated build tree under src/keybus/ (outside
src/esphome/, which ESPHome's writer prunes), where PlatformIO compiles every
source; the include paths go in as build flags. `esphome config` fails with a
clear message when the engine is not there.

The access code is a secret: it is never logged (dump_config says only how many
digits), and ESPHome's config dump shows it as `!secret` when it comes from
secrets.yaml (the examples do that).
"""

from pathlib import Path
import os

from esphome import automation, pins
import esphome.codegen as cg
import esphome.config_validation as cv
from esphome.const import CONF_ID, CONF_SPEED, KEY_CORE, KEY_FRAMEWORK_VERSION
from esphome.core import CORE
from esphome.helpers import copy_file_if_changed

CODEOWNERS = ["@keybus"]
AUTO_LOAD = ["alarm_control_panel", "binary_sensor", "sensor", "text_sensor"]
MULTI_CONF = False

CONF_KEYBUS_ID = "keybus_id"
CONF_CLOCK_PIN = "clock_pin"
CONF_DATA_PIN = "data_pin"
CONF_WRITE_PIN = "write_pin"
CONF_VARIANT = "variant"
CONF_PARTITIONS = "partitions"
CONF_CODE = "code"
CONF_SIMULATION = "simulation"
CONF_EXIT_DELAY = "exit_delay"
CONF_ENTRY_DELAY = "entry_delay"
CONF_STOP_AFTER = "stop_after"
CONF_SEED = "seed"
CONF_HEALTH_INTERVAL = "health_interval"
CONF_PARTITION = "partition"
CONF_KEYS = "keys"
CONF_ZONE = "zone"
CONF_OPEN = "open"
CONF_PANEL = "panel"
CONF_PC16_PIN = "pc16_pin"
# issue 11: panel: classic (docs/esphome.md, "Classic panels"); the values are
# kb_status_t.series (KB_SERIES_POWER 0, KB_SERIES_CLASSIC 1)
PANELS = {"powerseries": 0, "classic": 1}
CLASSIC_ZONES = 8  # zone lights 1-8 (kb_classic.h KB_CLS_ZONES)
CLASSIC_ALARM_ZONES = 6  # the PC-16 alarm bits: zones 1-6

keybus_ns = cg.esphome_ns.namespace("keybus")
KeybusHub = keybus_ns.class_("KeybusHub", cg.Component)

# The repository: <repo>/ports/esphome/components/keybus/__init__.py
REPO = Path(__file__).resolve().parents[4]

# Engine sources per platform, relative to the repository. Copied to
# <build>/src/keybus/<same path>; the include flags follow the same layout.
ENGINE_COMMON = [
    ("include/keybus", "*.h"),
    ("src/core", "*.c"),
    ("src/core", "*.h"),
    # the Home Assistant contract without its JSON parser (kb_ha_parse.c needs jsmn)
    ("src/ha", "kb_ha.c"),
    ("src/ha", "kb_ha.h"),
    ("src/ha", "kb_ha_int.h"),
    ("src/ha", "kb_status_words.h"),
]
ENGINE_ESP32 = [
    ("ports/esp-idf", "*.c"),
    ("ports/esp-idf", "*.h"),
    ("ports/esp-idf/include", "*.h"),
]
# the simulated panel and the virtual wire, and what of src/host the wire needs
# (bit layout: kb_wave; its optional waveform writer: kb_vcd, which reads
# kb_capture/kb_edges types)
ENGINE_HOST = [
    ("src/sim", "kb_sim_panel.c"),
    ("src/sim", "kb_sim_panel.h"),
    ("src/sim", "kb_wire.c"),
    ("src/sim", "kb_wire.h"),
    ("src/host", "kb_wave.c"),
    ("src/host", "kb_wave.h"),
    ("src/host", "kb_vcd.c"),
    ("src/host", "kb_vcd.h"),
    ("src/host", "kb_edges.c"),
    ("src/host", "kb_edges.h"),
    ("src/host", "kb_capture.c"),
    ("src/host", "kb_capture.h"),
    # panel: classic on the host: the simulated Classic panel and its edges
    ("src/sim", "kb_sim_classic.c"),
    ("src/sim", "kb_sim_classic.h"),
    ("src/host", "kb_cls_edges.c"),
    ("src/host", "kb_cls_edges.h"),
]
INCLUDES_COMMON = ["include", "src", "src/ha"]
INCLUDES_ESP32 = ["ports/esp-idf/include"]

# ---------------------------------------------------------------- pins
# Facts table (docs/esphome.md, "Pins"): strapping pins and flash/PSRAM pins per
# variant, the pins that do not exist, and the input-only pins (no write line).
VARIANTS = {
    "esp32": {
        "max": 39,
        "missing": {20, 24, 28, 29, 30, 31},
        "strapping": {0, 2, 5, 12, 15},
        "flash": {6, 7, 8, 9, 10, 11},
        "input_only": {34, 35, 36, 37, 38, 39},
        # erratum 3.11: GPIO36/39 interrupts are unreliable with the ADC or Wi-Fi sleep
        "no_clock": {36, 39},
    },
    "esp32s3": {
        "max": 48,
        "missing": {22, 23, 24, 25},
        "strapping": {0, 3, 45, 46},
        "flash": {26, 27, 28, 29, 30, 31, 32},
        "input_only": set(),
        "no_clock": set(),
    },
    "esp32c3": {
        "max": 21,
        "missing": set(),
        "strapping": {2, 8, 9},
        "flash": {11, 12, 13, 14, 15, 16, 17},
        "input_only": set(),
        "no_clock": set(),
    },
    "esp32c6": {
        "max": 30,
        "missing": set(),
        "strapping": {8, 9, 15},
        "flash": {24, 25, 26, 27, 28, 29, 30},
        "input_only": set(),
        "no_clock": set(),
    },
}
# ESPHome's esp32 variant names (VARIANT_ESP32, ...) are upper case
ESP32_VARIANT_NAMES = {"ESP32": "esp32", "ESP32S3": "esp32s3", "ESP32C3": "esp32c3", "ESP32C6": "esp32c6"}


def _pin_number(value):
    """GPIO33 / 33 / {number: GPIO33, ...} -> 33 (None when it cannot tell)."""
    if isinstance(value, dict):
        value = value.get("number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        s = value.strip().upper()
        if s.startswith("GPIO"):
            s = s[4:]
        if s.isdigit():
            return int(s)
    return None


def _check_pin(key, value, variant, output):
    n = _pin_number(value)
    if n is None:
        raise cv.Invalid(f"{key}: '{value}' is not a GPIO number (e.g. GPIO33)", [key])
    t = VARIANTS[variant]
    if n < 0 or n > t["max"] or n in t["missing"]:
        raise cv.Invalid(f"{key}: GPIO{n} does not exist on the {variant}", [key])
    if n in t["flash"]:
        raise cv.Invalid(
            f"{key}: GPIO{n} is a flash/PSRAM pin on the {variant}: using it stops the chip; "
            "choose another pin",
            [key],
        )
    if n in t["strapping"]:
        raise cv.Invalid(
            f"{key}: GPIO{n} is a strapping pin on the {variant}: the bus level at reset "
            "could change the boot mode; choose another pin",
            [key],
        )
    if output and n in t["input_only"]:
        raise cv.Invalid(f"{key}: GPIO{n} is input-only on the {variant}: the write line needs an output", [key])
    if key == CONF_CLOCK_PIN and n in t["no_clock"]:
        raise cv.Invalid(
            f"{key}: GPIO{n} interrupts are unreliable on the {variant} (erratum 3.11): "
            "put the clock on another pin",
            [key],
        )
    return n


def _variant(config):
    if CORE.is_esp32:
        from esphome.components.esp32 import get_esp32_variant

        real = ESP32_VARIANT_NAMES.get(str(get_esp32_variant()).upper())
        if real is None:
            raise cv.Invalid(
                f"keybus: the {get_esp32_variant()} variant is not supported (esp32, esp32s3, esp32c3, esp32c6)"
            )
        given = config.get(CONF_VARIANT)
        if given is not None and given != real:
            raise cv.Invalid(
                f"{CONF_VARIANT}: '{given}' does not match the esp32 component's variant '{real}'",
                [CONF_VARIANT],
            )
        return real
    return config.get(CONF_VARIANT, "esp32")


def _validate_hub(config):
    if not (CORE.is_host or (CORE.is_esp32 and CORE.using_esp_idf)):
        raise cv.Invalid(
            "keybus: needs the esp-idf framework on ESP32 (esp32: framework: type: esp-idf) "
            "or the host platform (with simulation:)"
        )
    if CORE.is_esp32:
        # ports/esp-idf needs ESP-IDF 5.1+ (the GPTimer's interrupt priority,
        # the driver split; kbe_int.h stops older builds with an #error); ESPHome
        # 2024.10 still defaults to ESP-IDF 4.4.8, so say it here, at config time
        version = CORE.data.get(KEY_CORE, {}).get(KEY_FRAMEWORK_VERSION)
        if version is not None and version < cv.Version(5, 1, 0):
            raise cv.Invalid(
                f"keybus: needs ESP-IDF 5.1 or newer, this configuration builds with {version} "
                "(set esp32: framework: version: to a 5.x release, see docs/esphome.md)"
            )
    if CORE.is_esp32 and CONF_SIMULATION in config:
        raise cv.Invalid(f"{CONF_SIMULATION}: only on the host platform", [CONF_SIMULATION])
    if CORE.is_host and CONF_SIMULATION not in config:
        raise cv.Invalid(
            f"{CONF_SIMULATION}: required on the host platform (there are no pins: the simulated "
            "panel sits behind the port)",
            [CONF_SIMULATION],
        )
    variant = _variant(config)
    # one pin per line first (the clearest message for a copy-paste slip), then
    # each pin against the variant's table
    clock = _pin_number(config[CONF_CLOCK_PIN])
    data = _pin_number(config[CONF_DATA_PIN])
    write = _pin_number(config[CONF_WRITE_PIN]) if CONF_WRITE_PIN in config else None
    if clock is not None and clock == data:
        raise cv.Invalid(f"{CONF_DATA_PIN}: GPIO{data} is also the clock_pin", [CONF_DATA_PIN])
    if write is not None and write == data:
        raise cv.Invalid(
            f"{CONF_WRITE_PIN}: GPIO{write} is also the data_pin (the read line): "
            "the write driver needs its own pin",
            [CONF_WRITE_PIN],
        )
    if write is not None and write == clock:
        raise cv.Invalid(f"{CONF_WRITE_PIN}: GPIO{write} is also the clock_pin", [CONF_WRITE_PIN])
    if config[CONF_PANEL] == "classic":
        # the Classic's third line, and its single partition
        if CONF_PC16_PIN not in config:
            raise cv.Invalid(
                f"{CONF_PC16_PIN}: required with panel: classic (the PGM terminal in PC16-OUT mode, "
                "docs/classic.md)",
                [CONF_PC16_PIN],
            )
        pc16 = _pin_number(config[CONF_PC16_PIN])
        if pc16 in (clock, data, write):
            raise cv.Invalid(f"{CONF_PC16_PIN}: GPIO{pc16} is already used by another keybus line", [CONF_PC16_PIN])
        _check_pin(CONF_PC16_PIN, config[CONF_PC16_PIN], variant, False)
        if list(config[CONF_PARTITIONS]) != [1]:
            raise cv.Invalid(f"{CONF_PARTITIONS}: a Classic panel has partition 1 only", [CONF_PARTITIONS])
    elif CONF_PC16_PIN in config:
        raise cv.Invalid(f"{CONF_PC16_PIN}: only with panel: classic", [CONF_PC16_PIN])
    _check_pin(CONF_CLOCK_PIN, config[CONF_CLOCK_PIN], variant, False)
    _check_pin(CONF_DATA_PIN, config[CONF_DATA_PIN], variant, False)
    if CONF_WRITE_PIN in config:
        _check_pin(CONF_WRITE_PIN, config[CONF_WRITE_PIN], variant, True)
    if not REPO.joinpath("include", "keybus", "kb_bus.h").is_file() or not REPO.joinpath("src", "core").is_dir():
        raise cv.Invalid(
            f"keybus: the C engine was not found at {REPO} (include/keybus, src/core). The component "
            "needs the whole keybus repository: external_components with type: git, url: <the "
            "repository>, path: ports/esphome/components (or type: local pointing into a clone)"
        )
    if CORE.is_esp32 and not REPO.joinpath("ports", "esp-idf", "include", "keybus_esp.h").is_file():
        raise cv.Invalid(f"keybus: ports/esp-idf/include/keybus_esp.h was not found under {REPO}")
    return config


def classic_absent(kind, index):
    """Why an entity cannot exist on a Classic panel (what it cannot report:
    kb_status_t.absent, docs/classic.md), or None. kind: an entity type name;
    index: its zone or partition (0 none)."""
    if kind in ("ac_power", "battery_low"):
        return f"{kind}: a Classic panel does not report it"
    if kind in ("zone_tamper", "zone_bypass"):
        return f"{kind}: a Classic panel does not report zone tamper or bypass"
    if kind.startswith("zone") and index > CLASSIC_ZONES:
        return f"zone: {index}: a Classic panel reports zones 1-{CLASSIC_ZONES} only"
    if kind == "zone_alarm" and index > CLASSIC_ALARM_ZONES:
        return f"zone: {index}: a Classic panel reports zone alarms for zones 1-{CLASSIC_ALARM_ZONES} only"
    if kind in ("ready", "fire", "alarm", "partition_status") and index > 1:
        return f"partition: {index}: a Classic panel has partition 1 only"
    return None


def hub_panel():
    """The keybus hub's panel (final validation only)."""
    import esphome.final_validate as fv

    hub = fv.full_config.get().get("keybus")
    return hub.get(CONF_PANEL, "powerseries") if hub is not None else "powerseries"


def validate_code(value):
    value = cv.string_strict(value)
    if not value.isdigit() or len(value) not in (4, 6):
        # the message does not repeat the value: it is a secret
        raise cv.Invalid("code must be 4 or 6 digits")
    return value


def validate_partition(value):
    value = cv.int_(value)
    if value < 1 or value > 8:
        raise cv.Invalid(f"partition must be 1..8 (got {value})")
    return value


def _clock_pin(value):
    # ESP32: ESPHome's own pin schema (its flash-pin checks; the pin object
    # whose attach_interrupt the component uses); host: just a number
    if CORE.is_esp32:
        return pins.internal_gpio_input_pin_schema(value)
    return _pin(value)


def _pin(value):
    # the data and write pins are driven by the ESP-IDF component (kbe), not
    # by ESPHome pin objects: a number, GPIOn or a pin map with `number`
    if isinstance(value, dict):
        return cv.Schema({cv.Required("number"): cv.valid, cv.Optional("inverted"): cv.boolean,
                          cv.Optional("mode"): cv.valid,
                          cv.Optional("ignore_strapping_warning"): cv.boolean})(value)
    if _pin_number(value) is None:
        raise cv.Invalid(f"'{value}' is not a GPIO number (e.g. GPIO33)")
    return value


SIMULATION_SCHEMA = cv.Schema(
    {
        # virtual time runs `speed` times faster than the wall clock (host only)
        cv.Optional(CONF_SPEED, default=1.0): cv.float_range(min=0.1, max=100.0),
        cv.Optional(CONF_EXIT_DELAY, default="10s"): cv.All(
            cv.positive_time_period_seconds, cv.Range(max=cv.TimePeriod(seconds=255))
        ),
        cv.Optional(CONF_ENTRY_DELAY, default="10s"): cv.All(
            cv.positive_time_period_seconds, cv.Range(max=cv.TimePeriod(seconds=255))
        ),
        # end the program (exit 0, after a summary line) at this virtual time; 0 = never
        cv.Optional(CONF_STOP_AFTER, default="0s"): cv.positive_time_period_milliseconds,
        cv.Optional(CONF_SEED, default=1): cv.int_range(min=1, max=0x7FFFFFFF),
    }
)

CONFIG_SCHEMA = cv.All(
    cv.Schema(
        {
            cv.GenerateID(): cv.declare_id(KeybusHub),
            cv.Required(CONF_CLOCK_PIN): _clock_pin,
            cv.Required(CONF_DATA_PIN): _pin,
            cv.Optional(CONF_WRITE_PIN): _pin,
            cv.Optional(CONF_PANEL, default="powerseries"): cv.one_of(*PANELS, lower=True),
            cv.Optional(CONF_PC16_PIN): _pin,
            cv.Optional(CONF_VARIANT): cv.one_of(*VARIANTS, lower=True),
            cv.Optional(CONF_PARTITIONS, default=[1]): cv.All(
                cv.ensure_list(validate_partition), cv.Length(min=1, max=8)
            ),
            cv.Optional(CONF_CODE): validate_code,
            cv.Optional(CONF_HEALTH_INTERVAL, default="10s"): cv.positive_time_period_milliseconds,
            cv.Optional(CONF_SIMULATION): SIMULATION_SCHEMA,
        }
    ).extend(cv.COMPONENT_SCHEMA),
    _validate_hub,
)


# The ESP-IDF component's options when its sdkconfig.defaults is not there.
IDF_OPTIONS_FALLBACK = [("CONFIG_GPTIMER_ISR_IRAM_SAFE", True), ("CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM", True)]


def _idf_options():
    """(name, value) of every CONFIG_* line of ports/esp-idf/sdkconfig.defaults."""
    path = REPO.joinpath("ports", "esp-idf", "sdkconfig.defaults")
    if not path.is_file():
        return IDF_OPTIONS_FALLBACK
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("CONFIG_") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        if value == "y":
            out.append((name, True))
        elif value == "n":
            out.append((name, False))
        elif value.startswith('"') and value.endswith('"'):
            out.append((name, value[1:-1]))
        else:
            try:
                out.append((name, int(value, 0)))
            except ValueError:
                out.append((name, value))
    return out


def _copy_engine():
    """Copies the engine sources into <build>/src/keybus/ and removes stale ones."""
    specs = list(ENGINE_COMMON) + (ENGINE_ESP32 if CORE.is_esp32 else ENGINE_HOST)
    dest_root = Path(CORE.relative_src_path("keybus"))
    wanted = set()
    for folder, pattern in specs:
        for src in sorted(REPO.joinpath(folder).glob(pattern)):
            if not src.is_file():
                continue
            rel = src.relative_to(REPO)
            dst = dest_root / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            copy_file_if_changed(src, dst)
            wanted.add(dst)
    if dest_root.is_dir():
        for dirpath, _dirs, files in os.walk(dest_root):
            for f in files:
                p = Path(dirpath) / f
                if p not in wanted:
                    p.unlink()
    includes = INCLUDES_COMMON + (INCLUDES_ESP32 if CORE.is_esp32 else [])
    for inc in includes:
        # relative to the project folder (PlatformIO resolves -I paths there)
        cg.add_build_flag(f"-Isrc/keybus/{inc}")
    return len(wanted)


async def to_code(config):
    var = cg.new_Pvariable(config[CONF_ID])
    await cg.register_component(var, config)
    _copy_engine()
    cg.add_define("USE_KEYBUS")
    variant = _variant(config)
    clock = _pin_number(config[CONF_CLOCK_PIN])
    data = _pin_number(config[CONF_DATA_PIN])
    write = _pin_number(config[CONF_WRITE_PIN]) if CONF_WRITE_PIN in config else -1
    cg.add(var.set_pins(clock, data, write))
    mask = 0
    for p in config[CONF_PARTITIONS]:
        mask |= 1 << (p - 1)
    cg.add(var.set_partitions(mask))
    if config[CONF_PANEL] != "powerseries":
        pc16 = _pin_number(config[CONF_PC16_PIN]) if CONF_PC16_PIN in config else -1
        cg.add(var.set_panel(PANELS[config[CONF_PANEL]], pc16))
    if CONF_CODE in config:
        cg.add(var.set_code(config[CONF_CODE]))
    cg.add(var.set_health_interval(config[CONF_HEALTH_INTERVAL].total_milliseconds))
    if CORE.is_esp32:
        from esphome.components.esp32 import add_idf_sdkconfig_option

        # the ESP-IDF options the ESP-IDF component needs (its interrupt code is
        # IRAM-safe only with them; its sources #error without them), from the
        # one list it keeps: ports/esp-idf/sdkconfig.defaults
        for name, value in _idf_options():
            add_idf_sdkconfig_option(name, value)
        # the engine's sizes and KB_ISR_FN come from the component's config
        # header, for every source (kb_bus_t's layout depends on them), as
        # ports/esp-idf/CMakeLists.txt does with a PUBLIC definition
        if REPO.joinpath("ports", "esp-idf", "include", "keybus_esp_config.h").is_file():
            cg.add_build_flag('-DKB_CONFIG_FILE=\\"keybus_esp_config.h\\"')
        pin = await cg.gpio_pin_expression(config[CONF_CLOCK_PIN])
        cg.add(var.set_clock_pin_object(pin))
    if CONF_SIMULATION in config:
        sim = config[CONF_SIMULATION]
        cg.add(
            var.set_simulation(
                sim[CONF_SPEED],
                sim[CONF_EXIT_DELAY].total_seconds,
                sim[CONF_ENTRY_DELAY].total_seconds,
                sim[CONF_STOP_AFTER].total_milliseconds,
                sim[CONF_SEED],
            )
        )


# ---------------------------------------------------------------- actions
WriteKeysAction = keybus_ns.class_("WriteKeysAction", automation.Action)
ArmAction = keybus_ns.class_("ArmAction", automation.Action)
SimZoneAction = keybus_ns.class_("SimZoneAction", automation.Action)
ArmMode = keybus_ns.enum("ArmMode")
ARM_MODES = {
    "disarm": ArmMode.ARM_MODE_DISARM,
    "arm_home": ArmMode.ARM_MODE_HOME,
    "arm_away": ArmMode.ARM_MODE_AWAY,
    "arm_night": ArmMode.ARM_MODE_NIGHT,
}


def validate_keys(value):
    value = cv.string_strict(value)
    # the virtual keypad's alphabet (include/keybus/kb_keys.h) and its
    # KB_KEYS_MAX default; the engine checks again at submit
    if not value or len(value) > 24:
        raise cv.Invalid("keys must be 1..24 keypad keys")
    allowed = set("0123456789*#<>[]{}@swncrxbfapSWNCRXBFAP")
    for ch in value:
        if ch not in allowed:
            raise cv.Invalid(f"keys: '{ch}' is not a keypad key (docs/esphome.md, Actions)")
    return value


WRITE_KEYS_SCHEMA = cv.Schema(
    {
        cv.GenerateID(): cv.use_id(KeybusHub),
        cv.Optional(CONF_PARTITION, default=1): cv.templatable(validate_partition),
        cv.Required(CONF_KEYS): cv.templatable(validate_keys),
    }
)


@automation.register_action("keybus.write_keys", WriteKeysAction, WRITE_KEYS_SCHEMA)
async def write_keys_to_code(config, action_id, template_arg, args):
    parent = await cg.get_variable(config[CONF_ID])
    var = cg.new_Pvariable(action_id, template_arg, parent)
    cg.add(var.set_partition(await cg.templatable(config[CONF_PARTITION], args, cg.uint8)))
    cg.add(var.set_keys(await cg.templatable(config[CONF_KEYS], args, cg.std_string)))
    return var


ARM_SCHEMA = cv.Schema(
    {
        cv.GenerateID(): cv.use_id(KeybusHub),
        cv.Optional(CONF_PARTITION, default=1): cv.templatable(validate_partition),
        # the hub's code when left out
        cv.Optional(CONF_CODE): cv.templatable(validate_code),
    }
)


def _arm_action(mode):
    async def _to_code(config, action_id, template_arg, args):
        parent = await cg.get_variable(config[CONF_ID])
        var = cg.new_Pvariable(action_id, template_arg, parent)
        cg.add(var.set_mode(ARM_MODES[mode]))
        cg.add(var.set_partition(await cg.templatable(config[CONF_PARTITION], args, cg.uint8)))
        if CONF_CODE in config:
            cg.add(var.set_code(await cg.templatable(config[CONF_CODE], args, cg.std_string)))
        return var

    return _to_code


for _mode in ARM_MODES:
    automation.register_action(f"keybus.{_mode}", ArmAction, ARM_SCHEMA)(_arm_action(_mode))


def _only_host(config):
    if not CORE.is_host:
        raise cv.Invalid("keybus.simulation_zone: only on the host platform (the simulated panel)")
    return config


SIM_ZONE_SCHEMA = cv.All(
    cv.Schema(
        {
            cv.GenerateID(): cv.use_id(KeybusHub),
            cv.Required(CONF_ZONE): cv.int_range(min=1, max=64),
            cv.Optional(CONF_OPEN, default=True): cv.boolean,
        }
    ),
    _only_host,
)


@automation.register_action("keybus.simulation_zone", SimZoneAction, SIM_ZONE_SCHEMA)
async def sim_zone_to_code(config, action_id, template_arg, args):
    parent = await cg.get_variable(config[CONF_ID])
    var = cg.new_Pvariable(action_id, template_arg, parent)
    cg.add(var.set_zone(config[CONF_ZONE], config[CONF_OPEN]))
    return var
