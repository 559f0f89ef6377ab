# Bench: the load generator, the drop-rate harness and its report (bench/RESULTS.md).
#   make bench-tools   build/bench/loadgen and build/bench/kbench-true (no engine rebuild)
#   make bench         the full set of scenarios and loads (root; ~15 min), writes
#                      bench/RESULTS.md and bench/drops_vs_load.png
#   bench/run --quick  the acceptance subset (< 10 min), bench lines on stdout
# Nothing here is part of `make test` (timed runs are noisy); tests/live/test_bench_smoke.sh
# only checks the output format of `bench/run --smoke`.
BENCH_CFLAGS := -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE
BENCH_ARGS ?=

.PHONY: bench bench-tools bench-quick

$(BUILD)/bench/loadgen: bench/loadgen.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lpthread

# static, no libc: the cheapest process there is to fork and exec
$(BUILD)/bench/kbench-true: bench/true.c
	@mkdir -p $(@D)
	$(CC) -O2 -static -nostdlib -fno-stack-protector -fno-pie -no-pie -Wall -Werror -o $@ $<

bench-tools: $(BUILD)/bench/loadgen $(BUILD)/bench/kbench-true

bench: $(BUILD)/kestrel bench-tools
	BUILD=$(BUILD) KESTREL=$(BUILD)/kestrel bench/run --full --report bench/RESULTS.md $(BENCH_ARGS)

bench-quick: $(BUILD)/kestrel bench-tools
	BUILD=$(BUILD) KESTREL=$(BUILD)/kestrel bench/run --quick $(BENCH_ARGS)
