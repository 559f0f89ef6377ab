# Kestrel: one entry point.
#   make            build everything into build/ (the engine is build/kestrel)
#   make test       unit tests (plain and ASan/UBSan) and, as root, the live tests
#   make fuzz       libFuzzer targets, one minute each
#   make install    binary, config, rules, systemd units
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
BUILD ?= build
PREFIX ?= /usr

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuserspace -I$(BUILD)
LDLIBS := -lbpf -lelf -lz -lyaml -lpthread
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS := $(sort $(shell find userspace -name '*.c'))
LIB_SRCS := $(filter-out userspace/main.c,$(SRCS))
OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=$(BUILD)/san/%.o)
HDRS := $(shell find include userspace -name '*.h')

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.bpf.o)
SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.skel.h)

TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TESTS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
SAN_TESTS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests-san/%)

.PHONY: all test unit-test live-test fuzz clean install uninstall format bench
all: $(BUILD)/kestrel

# Feature fragments (kmod, bench, ...) add their own targets here.
-include $(sort $(wildcard mk/*.mk))

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h) $(wildcard include/*.h)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -Ibpf -I$(BUILD) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Syscall names by x86_64 number, from the system's kernel headers (evt.type of generic
# events names the syscall).
UNISTD := $(firstword $(wildcard /usr/include/x86_64-linux-gnu/asm/unistd_64.h /usr/include/asm/unistd_64.h))
GEN_HDRS := $(BUILD)/ks_syscall_names.h
$(BUILD)/ks_syscall_names.h: $(UNISTD)
	@mkdir -p $(@D)
	awk '/^#define __NR_[a-z0-9_]+ [0-9]+$$/ { n = $$2; sub("__NR_", "", n); printf "[%s] = \"%s\",\n", $$3, n }' $< > $@.tmp && mv $@.tmp $@

# -MMD: each object depends on exactly the headers it includes
$(BUILD)/obj/%.o: %.c | $(SKELS) $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c | $(SKELS) $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -MMD -MP -c $< -o $@

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(BUILD)/obj/userspace/main.d

$(BUILD)/libkestrel.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libkestrel-san.a: $(SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

# jemalloc for the engine only: sanitizer builds bring their own allocator
$(BUILD)/kestrel: $(BUILD)/obj/userspace/main.o $(BUILD)/libkestrel.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -ljemalloc

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkestrel.a $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libkestrel.a -lcmocka $(LDLIBS)

$(BUILD)/tests-san/%: tests/unit/%.c $(BUILD)/libkestrel-san.a $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -Itests/unit -o $@ $< $(BUILD)/libkestrel-san.a -lcmocka $(LDLIBS)

unit-test: $(TESTS) $(SAN_TESTS)
	@set -e; for t in $(TESTS) $(SAN_TESTS); do echo "== $$t"; \
	  KS_TEST_ROOT=$(CURDIR) ASAN_OPTIONS=detect_leaks=1 $$t; done

LIVE_SRCS := $(sort $(wildcard tests/live/*.c))
LIVE_BINS := $(LIVE_SRCS:tests/live/%.c=$(BUILD)/live/%)
$(BUILD)/live/%: tests/live/%.c $(BUILD)/libkestrel.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libkestrel.a $(LDLIBS)

live-test: $(BUILD)/kestrel $(LIVE_BINS)
	@if [ "$$(id -u)" != 0 ]; then echo "live tests skipped: not root"; exit 0; fi; \
	set -e; for t in tests/live/test_*.sh; do echo "== $$t"; KESTREL=$(CURDIR)/$(BUILD)/kestrel KS_BUILD=$(CURDIR)/$(BUILD) bash $$t; done

test: all unit-test live-test
	@echo "all tests passed"

install: $(BUILD)/kestrel
	install -D -m 0755 $(BUILD)/kestrel $(DESTDIR)$(PREFIX)/bin/kestrel
	install -D -m 0644 rules/kestrel_rules.yaml $(DESTDIR)/etc/kestrel/kestrel_rules.yaml
	install -d $(DESTDIR)/etc/kestrel/rules.d
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/kestrel/README.md
	@# the user's files are never overwritten
	[ -e $(DESTDIR)/etc/kestrel/kestrel.yaml ] || install -m 0644 packaging/kestrel.yaml $(DESTDIR)/etc/kestrel/kestrel.yaml
	[ -e $(DESTDIR)/etc/kestrel/kestrel_rules.local.yaml ] || install -m 0644 rules/kestrel_rules.local.yaml $(DESTDIR)/etc/kestrel/kestrel_rules.local.yaml

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/kestrel $(DESTDIR)/etc/kestrel/kestrel_rules.yaml
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/kestrel
	@echo "left /etc/kestrel/kestrel.yaml, kestrel_rules.local.yaml and rules.d/ in place"

format:
	clang-format -i $$(find include userspace bpf tests/unit -name '*.[ch]')

clean:
	rm -rf $(BUILD)
