"""keybus binary sensors: zones (open, alarm, tamper, bypass), partition
ready/fire/alarm, trouble, AC power, battery low, keybus connected, healthy."""
import esphome.codegen as cg
import esphome.config_validation as cv
from esphome.components import binary_sensor
from esphome.const import CONF_TYPE

from . import (
    CONF_KEYBUS_ID,
    CONF_PARTITION,
    CONF_ZONE,
    KeybusHub,
    classic_absent,
    hub_panel,
    keybus_ns,
    validate_partition,
)

DEPENDENCIES = ["keybus"]

BinaryKind = keybus_ns.enum("BinaryKind")
ZONE_TYPES = {
    "zone": BinaryKind.BK_ZONE_OPEN,
    "zone_alarm": BinaryKind.BK_ZONE_ALARM,
    "zone_tamper": BinaryKind.BK_ZONE_TAMPER,
    "zone_bypass": BinaryKind.BK_ZONE_BYPASS,
}
PARTITION_TYPES = {
    "ready": BinaryKind.BK_READY,
    "fire": BinaryKind.BK_FIRE,
    "alarm": BinaryKind.BK_ALARM,
}
PANEL_TYPES = {
    "trouble": BinaryKind.BK_TROUBLE,
    "ac_power": BinaryKind.BK_AC_POWER,
    "battery_low": BinaryKind.BK_BATTERY_LOW,
    "connected": BinaryKind.BK_CONNECTED,
    "healthy": BinaryKind.BK_HEALTHY,
}
TYPES = {**ZONE_TYPES, **PARTITION_TYPES, **PANEL_TYPES}


def _check(config):
    t = config[CONF_TYPE]
    if t in ZONE_TYPES and CONF_ZONE not in config:
        raise cv.Invalid(f"zone: required for type {t}", [CONF_ZONE])
    if t not in ZONE_TYPES and CONF_ZONE in config:
        raise cv.Invalid(f"zone: only for the zone types, not {t}", [CONF_ZONE])
    if t not in PARTITION_TYPES and CONF_PARTITION in config:
        raise cv.Invalid(f"partition: only for ready, fire and alarm, not {t}", [CONF_PARTITION])
    return config


CONFIG_SCHEMA = cv.All(
    binary_sensor.binary_sensor_schema().extend(
        {
            cv.GenerateID(CONF_KEYBUS_ID): cv.use_id(KeybusHub),
            cv.Required(CONF_TYPE): cv.one_of(*TYPES, lower=True),
            cv.Optional(CONF_ZONE): cv.int_range(min=1, max=64),
            cv.Optional(CONF_PARTITION): validate_partition,
        }
    ),
    _check,
)


def _final_validate(config):
    # panel: classic: an entity the panel cannot report is not created
    if hub_panel() == "classic":
        t = config[CONF_TYPE]
        why = classic_absent(t, config.get(CONF_ZONE, config.get(CONF_PARTITION, 0)))
        if why is not None:
            key = CONF_ZONE if CONF_ZONE in config and "zone:" in why else CONF_PARTITION if "partition:" in why else CONF_TYPE
            raise cv.Invalid(why, [key])
    return config


FINAL_VALIDATE_SCHEMA = _final_validate


async def to_code(config):
    hub = await cg.get_variable(config[CONF_KEYBUS_ID])
    var = await binary_sensor.new_binary_sensor(config)
    t = config[CONF_TYPE]
    index = config.get(CONF_ZONE, config.get(CONF_PARTITION, 1 if t in PARTITION_TYPES else 0))
    cg.add(hub.add_binary(var, TYPES[t], index))
