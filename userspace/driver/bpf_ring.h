/*
 * A reader of one BPF ring buffer (BPF_MAP_TYPE_RINGBUF) through its mmapped pages,
 * without copying: the driver peeks at the head record of every ring, hands out the oldest
 * one in place, and only then lets the kernel reuse its space. libbpf's ring_buffer API
 * cannot peek (it consumes a ring to the end per call), hence this reader.
 *
 * Layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (ours to write); page 1 holds
 * producer_pos; the data pages follow, mapped twice so a record never wraps. Each record
 * starts with an 8-byte header: u32 len (bit 31 busy: not committed yet; bit 30 discarded)
 * and u32 page offset; the record follows, the whole padded to 8 bytes.
 */
#ifndef KS_BPF_RING_H
#define KS_BPF_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_bpf_ring {
	int fd;
	uint64_t size, mask;
	volatile uint64_t *consumer_pos;
	const volatile uint64_t *producer_pos;
	const uint8_t *data;
	void *cons_map, *prod_map;
	size_t prod_map_len;
	uint64_t cons; /* our position, published to consumer_pos by ks_bpf_ring_publish */
	uint64_t prod; /* producer position seen at the last ks_bpf_ring_refresh */
	unsigned unpublished;
};

int ks_bpf_ring_open(struct ks_bpf_ring *r, int map_fd, uint64_t size);
void ks_bpf_ring_close(struct ks_bpf_ring *r);
/* Load the producer position: records committed up to now become visible. */
void ks_bpf_ring_refresh(struct ks_bpf_ring *r);
/* The committed record at the head (discarded ones skipped), or NULL if none (empty, or
 * the head is still being written). */
const void *ks_bpf_ring_peek(struct ks_bpf_ring *r, uint32_t *len);
/* Step past the head record; the space is given back at the next publish. */
void ks_bpf_ring_advance(struct ks_bpf_ring *r, uint32_t len);
/* Let the kernel reuse what was consumed. */
void ks_bpf_ring_publish(struct ks_bpf_ring *r);

#endif
