# SPDX-License-Identifier: Apache-2.0
#
# The two commands a user needs: `make run` and `make check`.  Everything
# else (`make`, `make fuzz`, `make bench`) is for developers.  Meson does the
# real work; this file only installs dependencies and picks build dirs.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
STATE_DIR  ?= /var/lib/gureum
LISTEN     ?= 0.0.0.0:8080
FUZZ_TIME  ?= 600
PY         := /usr/bin/python3
# The interop test lists the implemented services pass (tests/tempest/run;
# tests/tempest/excluded.txt names the listed tests it does not run, and why).
INTEROP    := ../shared/interop/compute-required-identity.txt ../shared/interop/compute-required-image.txt \
              ../shared/interop/compute-required-compute.txt ../shared/interop/compute-required-network.txt

.PHONY: all deps libvirt run check unit asan integration tempest fuzz fuzz-short bench clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps

# libvirtd and virtlogd, started by hand when nothing answers on
# qemu:///system (no systemd here); a running libvirtd is left alone.
libvirt:
	@scripts/start-libvirt

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) --buildtype=debug -Dwerror=true -Dfuzz=true -Db_lundef=false

# Serve an all-in-one cloud in the foreground; initialise it on first use,
# with libvirt up and the test guest registered as the image gureum-test
# (scripts/run-cloud says how).
run: deps all
	@exec scripts/run-cloud $(BUILD) $(STATE_DIR) $(LISTEN)

# The interop lists run once, in the sanitizer pass (asan); `make tempest`
# runs them against the plain build.
check: deps all unit asan fuzz-short integration

unit: all
	meson test -C $(BUILD) --print-errorlogs

# The unit tests, then the daemon's API tests and the interop lists, built
# with the sanitizers: a report makes gureumd exit non-zero, which the test
# harness fails on.  Tests that boot real guests (marker "guest") wait on
# TCG more than they run our code: the plain pass (integration) runs them.
SANITIZERS := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
asan: $(ASAN_BUILD)/build.ninja libvirt
	ninja -C $(ASAN_BUILD)
	$(SANITIZERS) meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs
	$(SANITIZERS) GUREUM_BUILD=$(ASAN_BUILD) $(PY) -m pytest -q -p no:cacheprovider -m 'not guest' tests/integration tests/security
	$(SANITIZERS) GUREUM_BUILD=$(ASAN_BUILD) tests/tempest/with-cloud tests/tempest/run $(INTEROP)

integration: all libvirt
	tools/build-test-image
	$(PY) -m pytest -q -p no:cacheprovider tests/integration tests/security tests/guest

tempest: all
	tests/tempest/with-cloud tests/tempest/run $(INTEROP)

fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_TIME)

fuzz-short:
	$(MAKE) fuzz FUZZ_TIME=30

bench: all
	bench/identity

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
