# Kernel module targets (included by the main Makefile).
#   make kmod [KDIR=/lib/modules/<ver>/build] [KMOD_CC=gcc-12]   build kmod/ -> build/kmod/module/kestrel.ko
#   make dkms-install [KERNELRELEASE=<ver>]   install the sources under /usr/src, build and install with DKMS
#   make dkms-uninstall                       remove it from DKMS (every kernel)
#   make test-kmod                            build for Debian 5.10/6.1/6.12, test each under QEMU, DKMS build
# Packages: scripts/install-kmod-deps.sh. Downloads are cached in KS_KMOD_CACHE
# (default /var/cache/kestrel-kmod).
KMOD_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms/dkms.conf)
KERNELRELEASE ?= $(shell uname -r)
# The running kernel's headers if there are any, else the newest installed ones.
KDIR ?= $(firstword $(wildcard /lib/modules/$(KERNELRELEASE)/build) \
	$(lastword $(sort $(wildcard /lib/modules/*/build))))
KMOD_CC ?=
KMOD_SERIES ?= 5.10 6.1 6.12

.PHONY: kmod kmod-tools dkms-install dkms-uninstall test-kmod

kmod:
	@test -n "$(KDIR)" || { echo "no kernel headers in /lib/modules: pass KDIR=... or run scripts/install-kmod-deps.sh"; exit 1; }
	tests/kmod/build-kmod.sh $(KDIR) $(BUILD)/kmod/module $(KMOD_CC)

# The ring reader used by the guest tests: the engine's kmod driver, linked statically.
KMOD_TOOL_SRCS := tests/kmod/ksring.c userspace/driver/driver_kmod.c userspace/event.c userspace/log.c
$(BUILD)/kmod/ksring: $(KMOD_TOOL_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) -static -O2 $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuserspace -o $@ $(KMOD_TOOL_SRCS)

kmod-tools: $(BUILD)/kmod/ksring

dkms-install:
	@command -v dkms >/dev/null || { echo "dkms is not installed: apt-get install dkms linux-headers-$(KERNELRELEASE)"; exit 1; }
	-dkms remove -m kestrel -v $(KMOD_VERSION) --all >/dev/null 2>&1
	dkms/stage.sh /usr/src/kestrel-$(KMOD_VERSION)
	dkms add -m kestrel -v $(KMOD_VERSION)
	dkms build -m kestrel -v $(KMOD_VERSION) -k $(KERNELRELEASE)
	dkms install -m kestrel -v $(KMOD_VERSION) -k $(KERNELRELEASE)
	@echo "installed; load it with: modprobe kestrel"

dkms-uninstall:
	-dkms remove -m kestrel -v $(KMOD_VERSION) --all
	rm -rf /usr/src/kestrel-$(KMOD_VERSION)

test-kmod: $(BUILD)/kestrel $(BUILD)/kmod/ksring
	tests/kmod/test-kmod.sh $(KMOD_SERIES)
