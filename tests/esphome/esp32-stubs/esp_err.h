/* Stub for tests/cli/esphome_check.sh's host syntax check of the ESP32 glue
 * (the keybus component C++ compiled for USE_ESP32, keybus_esp.h): the ESP-IDF
 * names that code uses, with ESP-IDF's types and values. Not ESP-IDF; nothing
 * built with it runs. */
#ifndef KB_STUB_ESP_ERR_H_
#define KB_STUB_ESP_ERR_H_
#ifdef __cplusplus
extern "C" {
#endif
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
const char *esp_err_to_name(esp_err_t code);
#ifdef __cplusplus
}
#endif
#endif
