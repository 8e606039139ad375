"""keybus sensors: the health values (frames, errors, ring, heap on ESP32, the
longest loop())."""
import esphome.codegen as cg
import esphome.config_validation as cv
from esphome.components import sensor
from esphome.const import CONF_TYPE, ENTITY_CATEGORY_DIAGNOSTIC, STATE_CLASS_MEASUREMENT

from . import CONF_KEYBUS_ID, KeybusHub, keybus_ns

DEPENDENCIES = ["keybus"]

SensorKind = keybus_ns.enum("SensorKind")
TYPES = {
    "frames": (SensorKind.SK_FRAMES, None),
    "errors": (SensorKind.SK_ERRORS, None),
    "checksum_errors": (SensorKind.SK_CHECKSUM_ERRORS, None),
    "ring_overflows": (SensorKind.SK_RING_OVERFLOWS, None),
    "ring_high_water": (SensorKind.SK_RING_HIGH_WATER, None),
    "heap_free": (SensorKind.SK_HEAP_FREE, "B"),
    "heap_min_free": (SensorKind.SK_HEAP_MIN_FREE, "B"),
    "heap_largest_block": (SensorKind.SK_HEAP_LARGEST, "B"),
    "loop_max_us": (SensorKind.SK_LOOP_MAX_US, "us"),
    "events_dropped": (SensorKind.SK_EVENTS_DROPPED, None),
}

CONFIG_SCHEMA = sensor.sensor_schema(
    accuracy_decimals=0,
    state_class=STATE_CLASS_MEASUREMENT,
    entity_category=ENTITY_CATEGORY_DIAGNOSTIC,
).extend(
    {
        cv.GenerateID(CONF_KEYBUS_ID): cv.use_id(KeybusHub),
        cv.Required(CONF_TYPE): cv.one_of(*TYPES, lower=True),
    }
)


async def to_code(config):
    hub = await cg.get_variable(config[CONF_KEYBUS_ID])
    var = await sensor.new_sensor(config)
    kind, unit = TYPES[config[CONF_TYPE]]
    if unit is not None and "unit_of_measurement" not in config:
        cg.add(var.set_unit_of_measurement(unit))
    cg.add(hub.add_sensor(var, kind))
