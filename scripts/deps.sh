#!/usr/bin/env bash
# Installs the Debian packages keybus needs to build, test and benchmark.
# Idempotent: packages already present are left alone; prints what it does.
set -eu
pkgs=(
  build-essential clang libclang-rt-14-dev 
  libcjson-dev                             
  libjsmn-dev                              # header-only JSON tokenizer of src/ha (Home Assistant commands)
  libmosquitto-dev                         # keybusd's MQTT client
  libmicrohttpd-dev libcrypt-dev           # keybusd's web keypad: the HTTP server, crypt(3) for its password
  chromium nodejs                          # the web keypad's browser test (headless; playwright-core from npm, tests/web)
  mosquitto mosquitto-clients              # a broker and its clients for keybusd's tests (started on 127.0.0.1 only)
  valgrind                                 
  gcovr                                    
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  libnewlib-dev                            # C library headers of the ESP-IDF 5.3.5 kit (make esp-check)
  python3-kconfiglib                       # parses ports/esp-idf/Kconfig to compare its defaults with the code's (esp_host.sh)
  sigrok-cli                               # tests/cli/sigrok.sh: the PulseView decoder in tools/sigrok, run by sigrok-cli
  python3-aiohttp                          # pyenvisalink (the TPI client of Home Assistant) talks to keybusd --tpi in tests/cli/keybusd_tpi_client.sh
  binutils python3
  g++                                      # the ESPHome component's C++ glue, built on ESPHome's host platform (make esphome-check)
  python3-voluptuous python3-yaml python3-colorama python3-argcomplete python3-tzlocal  # ESPHome's own front end (config, codegen), run offline from the kit
)
# npm comes with some builds of nodejs (NodeSource's): Debian's own npm
# package only where there is none, since it conflicts with those
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
