"""keybus text sensors: a partition's status words, the last event, the
start failure ("none" when the bus runs)."""
import esphome.codegen as cg
import esphome.config_validation as cv
from esphome.components import text_sensor
from esphome.const import CONF_TYPE

from . import CONF_KEYBUS_ID, CONF_PARTITION, KeybusHub, classic_absent, hub_panel, keybus_ns, validate_partition

DEPENDENCIES = ["keybus"]

TextKind = keybus_ns.enum("TextKind")
TYPES = {
    "partition_status": TextKind.TK_PARTITION_STATUS,
    "last_event": TextKind.TK_LAST_EVENT,
    "failure": TextKind.TK_FAILURE,
}


def _check(config):
    if config[CONF_TYPE] != "partition_status" and CONF_PARTITION in config:
        raise cv.Invalid("partition: only for type partition_status", [CONF_PARTITION])
    return config


CONFIG_SCHEMA = cv.All(
    text_sensor.text_sensor_schema().extend(
        {
            cv.GenerateID(CONF_KEYBUS_ID): cv.use_id(KeybusHub),
            cv.Required(CONF_TYPE): cv.one_of(*TYPES, lower=True),
            cv.Optional(CONF_PARTITION): validate_partition,
        }
    ),
    _check,
)


def _final_validate(config):
    if hub_panel() == "classic":
        why = classic_absent(config[CONF_TYPE], config.get(CONF_PARTITION, 1))
        if why is not None:
            raise cv.Invalid(why, [CONF_PARTITION])
    return config


FINAL_VALIDATE_SCHEMA = _final_validate


async def to_code(config):
    hub = await cg.get_variable(config[CONF_KEYBUS_ID])
    var = await text_sensor.new_text_sensor(config)
    cg.add(hub.add_text(var, TYPES[config[CONF_TYPE]], config.get(CONF_PARTITION, 1)))
