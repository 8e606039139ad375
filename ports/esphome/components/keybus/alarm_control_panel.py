"""keybus alarm_control_panel: one per partition, the states of the MQTT contract
(kb_ha_alarm_state: disarmed, arming, pending, armed_home, armed_away,
armed_night, triggered). Arm/disarm requests go to the virtual keypad; the state
is published when the panel shows it."""
import esphome.codegen as cg
import esphome.config_validation as cv
from esphome.components import alarm_control_panel
from esphome.const import CONF_ID

from . import CONF_KEYBUS_ID, CONF_PARTITION, KeybusHub, keybus_ns, validate_partition

DEPENDENCIES = ["keybus"]

KeybusAlarmPanel = keybus_ns.class_("KeybusAlarmPanel", alarm_control_panel.AlarmControlPanel)

CONFIG_SCHEMA = alarm_control_panel.ALARM_CONTROL_PANEL_SCHEMA.extend(
    {
        cv.GenerateID(): cv.declare_id(KeybusAlarmPanel),
        cv.GenerateID(CONF_KEYBUS_ID): cv.use_id(KeybusHub),
        cv.Required(CONF_PARTITION): validate_partition,
    }
)


def _final_validate(config):
    import esphome.final_validate as fv

    full = fv.full_config.get()
    hub = full.get("keybus")
    if hub is not None and config[CONF_PARTITION] not in hub.get("partitions", [1]):
        raise cv.Invalid(
            f"partition: {config[CONF_PARTITION]} is not in the keybus partitions {hub.get('partitions', [1])}",
            [CONF_PARTITION],
        )
    return config


FINAL_VALIDATE_SCHEMA = _final_validate


async def to_code(config):
    hub = await cg.get_variable(config[CONF_KEYBUS_ID])
    var = cg.new_Pvariable(config[CONF_ID], hub, config[CONF_PARTITION])
    await alarm_control_panel.register_alarm_control_panel(var, config)
    cg.add(hub.add_panel(var))
