# make fuzz: libFuzzer targets (clang), each run for FUZZ_SECONDS against its corpus in
# tests/fuzz/corpus/<target>/ (seeds, read-only); new finds go to build/fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iuserspace -I$(BUILD)
FUZZ_OBJS := $(LIB_SRCS:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(BUILD)/fuzz/obj/%.o: %.c | $(SKELS) $(GEN_HDRS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -o $@ $(LDLIBS)

.SECONDARY: $(FUZZ_OBJS)
.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS)

UPSTREAM_RULES := $(wildcard ../shared/corpus/falco-rules)
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do n=$$(basename $$t | sed 's/^fuzz_//'); \
	  mkdir -p $(BUILD)/fuzz/corpus/$$n; echo "== fuzz $$n for $(FUZZ_SECONDS) s"; \
	  seeds="tests/fuzz/corpus/$$n"; [ $$n = rules ] && seeds="$$seeds $(UPSTREAM_RULES)"; \
	  if ! $$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	      -print_final_stats=1 $(BUILD)/fuzz/corpus/$$n $$seeds >$(BUILD)/fuzz/$$n.log 2>&1; then \
	    tail -40 $(BUILD)/fuzz/$$n.log; echo "fuzz $$n FAILED (log: $(BUILD)/fuzz/$$n.log)"; exit 1; fi; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' $(BUILD)/fuzz/$$n.log; done
	@echo "fuzz: all targets ran clean"
-include $(FUZZ_OBJS:.o=.d)
