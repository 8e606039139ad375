# keybus - build, test, benchmark. See README.md.
#
#   make            build/bin/keybus-reader (and every app); installs nothing
#   make deps       installs the Debian packages (scripts/deps.sh; make run and make test do too)
#   make run        keybusd on the simulated panel (--demo), publishing to a broker on 127.0.0.1:1883 if one answers;
#                   the web keypad on http://127.0.0.1:8080 (docs/web.md)
#   make test       every test, with gcc, clang and gcc+ASan+UBSan; ends "N passed, M failed"
#   make coverage   branch coverage of src/core (fails below 90 %)
#   make size       cross builds of the engine: size per unit, RAM probe; the ESP-IDF component's RAM
#   make bench      instruction counts (callgrind) of the interrupt and decode paths
#   make fuzz       every libFuzzer target in tests/fuzz for FUZZ_SECONDS each (default 300)
#   make esp-check  the engine, ports/esp-idf and the ESP-IDF example built with the ESP-IDF kits
#                   (KEYBUS_IDF_KITS), IRAM checks of the interrupt handlers
#   make esphome-check  the ESPHome component through ESPHome's front end, run on its host
#                   platform (KEYBUS_ESPHOME_KIT)
#   make install    keybusd, keybus-reader, the systemd unit, the udev rule and an example
#                   /etc/keybus/keybusd.conf (never overwritten); PREFIX, DESTDIR as usual
#
# V selects a build variant (directory build/$(V)); the apps in build/bin come
# from the default variant "rel".

V        ?= rel
B        := build/$(V)
DEPS_OK  := build/.deps-ok

ifeq ($(V),clang)
CC       := clang
endif
ifeq ($(V),asan)
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifeq ($(V),cov)
SAN      := --coverage
endif
# libFuzzer targets (tests/fuzz): clang, every object instrumented for
# coverage and built with ASan+UBSan; the targets link the fuzzer's main.
ifeq ($(V),fuzz)
CC       := clang
SAN      := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

OPT      ?= $(if $(filter cov asan,$(V)),-O0 -g,-O2 -g)
WARN     := -Wall -Wextra -Werror -pedantic -Wshadow -Wundef
# Every host build of the core here (rel, clang, asan, cov, fuzz) traps on a
# failed KB_ASSERT (a caller's programming error) instead of ignoring it, so
# every test sees them (tests/cli/assert.sh proves it per variant);
# __builtin_trap() needs no C library (the core is freestanding). Firmware
# chooses its own (kb_config.h: off by default). The coverage build traps too:
# tests/coverage.sh leaves the never-taken branch of each KB_ASSERT line out
# of the figure (gcovr --exclude-branches-by-pattern), not the check itself.
# Builds outside this Makefile: tests/cli/config_limits.sh and bench.sh's soak
# section abort on KB_ASSERT too; bench.sh's isr and decode sections keep it
# off on purpose: they count instructions of the default configuration, the
# one firmware runs (an assert adds a compare and a branch to each call).
CORE_ASSERT := -DKB_ASSERT\(c\)=\(\(c\)?\(void\)0:__builtin_trap\(\)\)
DEPFLAGS := -MMD -MP
CORE_CFLAGS := -std=c11 $(WARN) $(OPT) $(SAN) $(CORE_ASSERT) -Iinclude
HOST_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(OPT) $(SAN) -Iinclude -Isrc -I/usr/include/cjson
TEST_CFLAGS := $(HOST_CFLAGS) -Itests -DKB_TEST_DATA_DIR=\"$(CURDIR)/tests/data\" -DKB_ASSERT\(c\)=\(\(c\)?\(void\)0:abort\(\)\) -include stdlib.h
LDLIBS   := -lcjson -lm

CORE_SRC := $(sort $(wildcard src/core/*.c))
HOST_SRC := $(sort $(wildcard src/host/*.c))
SIM_SRC  := $(sort $(wildcard src/sim/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(B)/obj/%.o)
HOST_OBJ := $(HOST_SRC:%.c=$(B)/obj/%.o)
SIM_OBJ  := $(SIM_SRC:%.c=$(B)/obj/%.o)
APPS     := $(notdir $(wildcard apps/*))
UNIT_SRC := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 300
# The template port (ports/template) is compiled with the core's flags in
# every variant so that it never rots; its task loop needs kb_bus.h.
PORT_SRC := ports/template/kb_port_template.c $(if $(wildcard include/keybus/kb_bus.h),ports/template/kb_port_task.c)
PORT_OBJ := $(PORT_SRC:%.c=$(B)/obj/%.o)


.SECONDEXPANSION:
.PHONY: all apps tests run test coverage size bench deps need-deps clean fuzz fuzz-bins esp-check esphome-check ports install
.SECONDARY:

all: apps

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@bash scripts/deps.sh
	@mkdir -p build && touch $@

# Plain `make` installs nothing: a missing package is named, with the command
# that installs it.
need-deps:
	@test -f /usr/include/cjson/cJSON.h || { echo "make: libcjson-dev is missing: run 'make deps' (make run and make test install what they need)"; exit 1; }

apps: $(APPS:%=$(B)/bin/%)
ifeq ($(V),rel)
	@mkdir -p build/bin
	@for a in $(APPS); do cp -f $(B)/bin/$$a build/bin/$$a; done
endif

$(B)/obj/src/core/%.o: src/core/%.c $(wildcard include/keybus/*.h src/core/*.h) | need-deps
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(B)/obj/src/host/%.o: src/host/%.c $(wildcard include/keybus/*.h src/host/*.h) | need-deps
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(B)/obj/src/sim/%.o: src/sim/%.c $(wildcard include/keybus/*.h src/host/*.h src/sim/*.h) | need-deps
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(B)/obj/ports/%.o: ports/%.c $(wildcard include/keybus/*.h ports/*/*.h) | need-deps
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(DEPFLAGS) -c $< -o $@

ports: $(PORT_OBJ)

$(B)/lib/libkbsim.a: $(SIM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/lib/libkbcore.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/lib/libkbhost.a: $(HOST_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Apps and tests link the simulator library too (src/sim: the simulated panel
# and the virtual wire); it is empty until src/sim has sources.
LIBS     = $(B)/lib/libkbsim.a $(B)/lib/libkbhost.a $(B)/lib/libkbcore.a

# src/ha: the Home Assistant contract (docs/home-assistant.md), freestanding
# like the core (the core's flags, -ffreestanding), in its own library that
# the apps, tests and fuzz targets link first (it calls kb_bus). jsmn.h
# (libjsmn-dev) is its one outside header.
HA_SRC   := $(sort $(wildcard src/ha/*.c))
HA_OBJ   := $(HA_SRC:%.c=$(B)/obj/%.o)
LIBS     := $(B)/lib/libkbha.a $(LIBS)
.PHONY: need-jsmn
need-jsmn:
	@test -f /usr/include/jsmn.h || { echo "make: libjsmn-dev is missing: run 'make deps'"; exit 1; }
$(B)/obj/src/ha/%.o: src/ha/%.c $(wildcard include/keybus/*.h src/ha/*.h) | need-deps need-jsmn
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -ffreestanding $(DEPFLAGS) -c $< -o $@
$(B)/lib/libkbha.a: $(HA_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(UNIT_BIN) $(FUZZ_BIN) $(APPS:%=$(B)/bin/%): $(B)/lib/libkbha.a

$(B)/bin/%: $(B)/lib/libkbsim.a $(B)/lib/libkbhost.a $(B)/lib/libkbcore.a $$(wildcard apps/$$*/*.c apps/$$*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -I. -Iapps/$* $(wildcard apps/$*/*.c) $(APP_SRC) -o $@ $(APP_LIBS) $(LIBS) $(LDLIBS) $(APP_LDLIBS) $(SAN)

# keybusd (apps/keybusd): the Linux GPIO backend (ports/linux), libmosquitto
# on its own thread, the web keypad (libmicrohttpd on its own threads, the
# page's files embedded: apps/keybusd/web -> build/<variant>/gen/kd_assets.c,
# docs/web.md; crypt(3) hashes its password).
WEB_ASSETS := $(sort $(wildcard apps/keybusd/web/*))
$(B)/gen/kd_assets.c: $(WEB_ASSETS) scripts/embed_assets.py
	@mkdir -p $(dir $@)
	python3 scripts/embed_assets.py $@ $(WEB_ASSETS)
$(B)/bin/keybusd: $(B)/lib/libkblinux.a $(B)/gen/kd_assets.c | need-mosquitto need-microhttpd
$(B)/bin/keybusd: APP_LIBS = $(B)/lib/libkblinux.a
$(B)/bin/keybusd: APP_SRC = $(B)/gen/kd_assets.c
$(B)/bin/keybusd: APP_LDLIBS = -lmosquitto -lmicrohttpd -lcrypt -pthread
.PHONY: need-mosquitto need-microhttpd
need-mosquitto:
	@test -f /usr/include/mosquitto.h || { echo "make: libmosquitto-dev is missing: run 'make deps'"; exit 1; }
need-microhttpd:
	@test -f /usr/include/microhttpd.h || { echo "make: libmicrohttpd-dev is missing: run 'make deps'"; exit 1; }

$(B)/tests/%: tests/unit/%.c tests/harness.c tests/harness.h $(wildcard tests/unit/*/*.h ports/template/*.[ch]) $(B)/lib/libkbsim.a $(B)/lib/libkbhost.a $(B)/lib/libkbcore.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< tests/harness.c -o $@ $(LIBS) $(LDLIBS) $(SAN)

# keybusd's unit tests include the app's sources they test
$(B)/tests/keybusd/test_log: apps/keybusd/kd_log.c apps/keybusd/kd_log.h
# the Envisalink TPI's protocol module, #included by its test
$(B)/tests/keybusd/test_tpi: apps/keybusd/kd_tpi.c apps/keybusd/kd_tpi.h

# keybusd --role keypad (docs/keypad-interface.md) and the panel role's Linux
# port, #included by their tests
$(B)/tests/keybusd/test_xpd: apps/keybusd/kd_xpd.c apps/keybusd/kd_xpd.h
$(B)/tests/keybusd/test_keypad: apps/keybusd/kd_keypad.c apps/keybusd/kd_keypad.h
$(B)/tests/keybusd/test_keypad_run: apps/keybusd/kd_log.c apps/keybusd/kd_keypad.c apps/keybusd/kd_keypad.h apps/keybusd/kd_keypad_run.c apps/keybusd/kd_keypad_run.h ports/linux/kb_gpio_panel.c ports/linux/kb_gpio_panel.h ports/linux/kb_gpio_line.h
$(B)/tests/linux/test_gpio_panel: tests/fake-gpio/fake_gpio.c ports/linux/kb_gpio_panel.c ports/linux/kb_gpio_panel.h ports/linux/kb_gpio_line.h

# the listen-only build of the template port's test includes the other one
# the ESP-IDF example's bridge is #included by its test
$(B)/tests/espex/test_bridge: examples/esp-idf-mqtt/main/kbm_bridge.c examples/esp-idf-mqtt/main/kbm_bridge.h
# and its panel clock (SNTP time, the decision of src/ha/kb_clock.c)
$(B)/tests/espex/test_clock: examples/esp-idf-mqtt/main/kbm_clock.c examples/esp-idf-mqtt/main/kbm_clock.h examples/esp-idf-mqtt/main/kbm_bridge.h

$(B)/tests/core/test_port_listen: tests/unit/core/test_port_template.c

tests: apps $(UNIT_BIN) $(PORT_OBJ)

# V=fuzz only (clang, -fsanitize=fuzzer): `make V=fuzz fuzz-bins`
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(B)/lib/libkbsim.a $(B)/lib/libkbhost.a $(B)/lib/libkbcore.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itests $< -o $@ $(LIBS) $(LDLIBS) $(SAN) -fsanitize=fuzzer

fuzz-bins: $(FUZZ_BIN)

# the web keypad's request handling (apps/keybusd/kd_web.c, included by the
# target) with its embedded files
$(B)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c tests/fuzz/fuzz.h apps/keybusd/kd_web.c apps/keybusd/kd_web.h apps/keybusd/kd_log.c $(B)/gen/kd_assets.c $(B)/lib/libkbsim.a $(B)/lib/libkbhost.a $(B)/lib/libkbcore.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itests -Iapps/keybusd $< $(B)/gen/kd_assets.c -o $@ $(LIBS) $(LDLIBS) -lcrypt -pthread $(SAN) -fsanitize=fuzzer

# the Envisalink TPI's protocol module (apps/keybusd/kd_tpi.c, included by the target)
$(B)/fuzz/fuzz_tpi: apps/keybusd/kd_tpi.c apps/keybusd/kd_tpi.h

run: $(DEPS_OK)
	@$(MAKE) --no-print-directory apps V=rel >/dev/null
	./build/bin/keybusd --config /dev/null --demo

test: $(DEPS_OK)
	@bash tests/run.sh

coverage: $(DEPS_OK)
	@bash tests/coverage.sh

size: $(DEPS_OK)
	@bash bench/size.sh
	@bash bench/esp_size.sh

bench: $(DEPS_OK)
	@bash bench/bench.sh

# Builds the targets (build/fuzz), then runs each for FUZZ_SECONDS with the
# seed corpus and the corpus kept in build/fuzz/corpus (see docs/fuzzing.md).
fuzz: $(DEPS_OK)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_KEEP_CORPUS=1 bash tests/cli/fuzz.sh

# src/core (and the template port) built with both ESP-IDF kits, and the
# kit's IRAM check on the link layer's object (tests/cli/esp_check.sh; the
# kits are found through KEYBUS_IDF_KITS only). Fails when it is not set;
# `make test` reports it as skipped instead.
esp-check:
	@KB_ESP_CHECK_REQUIRED=1 bash tests/cli/esp_check.sh
	@KB_ESP_CHECK_REQUIRED=1 bash tests/cli/esp_example_check.sh

# The ESPHome component (ports/esphome) through ESPHome 2024.10.2's own front
# end (config, codegen) and built and run on ESPHome's host platform
# (tests/cli/esphome_check.sh; the kit is found through KEYBUS_ESPHOME_KIT
# only). Fails when it is not set; `make test` reports it as skipped instead.
esphome-check:
	@KB_ESPHOME_CHECK_REQUIRED=1 bash tests/cli/esphome_check.sh

# make install: docs/keybusd.md "Install". With DESTDIR (a staging root, as
# packagers use) nothing outside it is touched; without it, the system user
# `keybus` (in the gpio group) is created and systemd reloaded.
PREFIX  ?= /usr/local
SYSCONF ?= /etc
UNITDIR ?= /etc/systemd/system
UDEVDIR ?= /etc/udev/rules.d
install: apps
	install -D -m 0755 build/rel/bin/keybusd $(DESTDIR)$(PREFIX)/bin/keybusd
	install -D -m 0755 build/rel/bin/keybus-reader $(DESTDIR)$(PREFIX)/bin/keybus-reader
	sed 's|/usr/local|$(PREFIX)|g' packaging/systemd/keybusd.service >build/keybusd.service
	install -D -m 0644 build/keybusd.service $(DESTDIR)$(UNITDIR)/keybusd.service
	install -D -m 0644 packaging/udev/60-keybus-gpio.rules $(DESTDIR)$(UDEVDIR)/60-keybus-gpio.rules
	install -D -m 0644 docs/keybusd.md $(DESTDIR)$(PREFIX)/share/doc/keybus/keybusd.md
	install -d -m 0755 $(DESTDIR)$(SYSCONF)/keybus
	test -e $(DESTDIR)$(SYSCONF)/keybus/keybusd.conf || install -m 0640 examples/keybusd.conf $(DESTDIR)$(SYSCONF)/keybus/keybusd.conf
	@if [ -z "$(DESTDIR)" ]; then \
	  getent group gpio >/dev/null || groupadd --system gpio; \
	  id keybus >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --user-group --groups gpio keybus; \
	  chgrp keybus $(SYSCONF)/keybus/keybusd.conf; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	  echo "installed: edit $(SYSCONF)/keybus/keybusd.conf, then: systemctl enable --now keybusd"; \
	fi

clean:
	rm -rf build

# header dependencies of the objects, written by -MMD (apps and tests name
# theirs in their rules; a .d beside them would match their pattern rules)
-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# ---- ports/linux: the Linux GPIO character-device backend (host code, POSIX)
# and its fake GPIO device for tests (tests/fake-gpio, a shared object that
# interposes open/close/ioctl/read/poll; linked into tests/unit/linux/test_gpio
# ahead of the C library, or usable as LD_PRELOAD).
LINUX_SRC := $(sort $(wildcard ports/linux/*.c))
LINUX_OBJ := $(LINUX_SRC:%.c=$(B)/obj/%.o)
$(B)/obj/ports/linux/%.o: ports/linux/%.c $(wildcard include/keybus/*.h ports/linux/*.h) | need-deps
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(B)/lib/libkblinux.a: $(LINUX_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(B)/lib/libfakegpio.so: tests/fake-gpio/fake_gpio.c tests/fake-gpio/fake_gpio.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(OPT) $(SAN) -fPIC -shared $< -o $@ -ldl
$(B)/tests/linux/test_gpio: tests/unit/linux/test_gpio.c tests/harness.c tests/harness.h $(B)/lib/libkblinux.a $(B)/lib/libfakegpio.so $(B)/lib/libkbsim.a $(B)/lib/libkbhost.a $(B)/lib/libkbcore.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -I. $< tests/harness.c -o $@ $(B)/lib/libkblinux.a $(LIBS) -L$(B)/lib -lfakegpio -Wl,-rpath,$(CURDIR)/$(B)/lib $(LDLIBS) $(SAN)
ports: $(B)/lib/libkblinux.a
