/*
 * The sequencer: puts records from several per-CPU rings back into timestamp order.
 *
 * Rings are drained one after another, so a parent's clone written on CPU 0 can reach us
 * after its child's exec written on CPU 1. Records are copied into a bounded buffer and
 * released in (timestamp, arrival) order, but only up to a watermark: a record is released
 * once every ring has been drained past its timestamp (the caller passes "the time the
 * drain started, minus a slack for records still being committed").
 */
#ifndef KS_SEQUENCER_H
#define KS_SEQUENCER_H

#include <stddef.h>
#include <stdint.h>

struct ks_seq;

typedef void (*ks_seq_emit_fn)(void *ctx, const void *rec, size_t len);

/* capacity: bytes of records held at most (the buffer is allocated twice, for compaction). */
struct ks_seq *ks_seq_new(size_t capacity, ks_seq_emit_fn emit, void *ctx);
void ks_seq_free(struct ks_seq *s);
/* Copy one record in (its length is already validated by the driver: >= header size).
 * When the buffer is full, everything held is released first, in order. */
void ks_seq_push(struct ks_seq *s, const void *rec, size_t len);
/* Release, in order, every held record with timestamp <= watermark. */
void ks_seq_release(struct ks_seq *s, uint64_t watermark);
size_t ks_seq_held(const struct ks_seq *s);
/* Times the buffer filled up and had to release early (order may suffer then). */
uint64_t ks_seq_overflows(const struct ks_seq *s);

#endif
