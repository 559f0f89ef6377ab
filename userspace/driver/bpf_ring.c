#include "bpf_ring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

#define RB_BUSY	   (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR	   8u

int ks_bpf_ring_open(struct ks_bpf_ring *r, int map_fd, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	memset(r, 0, sizeof(*r));
	r->fd = map_fd;
	r->size = size;
	r->mask = size - 1;
	r->cons_map = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r->cons_map == MAP_FAILED) {
		int err = -errno;
		ks_log_error("cannot map an eBPF ring's consumer page: %s", strerror(errno));
		r->cons_map = NULL;
		return err;
	}
	/* the producer page, then the data mapped twice */
	r->prod_map_len = (size_t)page + 2 * (size_t)size;
	r->prod_map = mmap(NULL, r->prod_map_len, PROT_READ, MAP_SHARED, map_fd, page);
	if (r->prod_map == MAP_FAILED) {
		int err = -errno;
		ks_log_error("cannot map an eBPF ring's data pages: %s", strerror(errno));
		r->prod_map = NULL;
		ks_bpf_ring_close(r);
		return err;
	}
	r->consumer_pos = r->cons_map;
	r->producer_pos = r->prod_map;
	r->data = (const uint8_t *)r->prod_map + page;
	r->cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	r->prod = r->cons;
	return 0;
}

void ks_bpf_ring_close(struct ks_bpf_ring *r)
{
	long page = sysconf(_SC_PAGESIZE);
	if (r->cons_map)
		munmap(r->cons_map, (size_t)page);
	if (r->prod_map)
		munmap(r->prod_map, r->prod_map_len);
	r->cons_map = r->prod_map = NULL;
}

void ks_bpf_ring_refresh(struct ks_bpf_ring *r)
{
	r->prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
}

const void *ks_bpf_ring_peek(struct ks_bpf_ring *r, uint32_t *len)
{
	while (r->cons < r->prod) {
		const uint32_t *hdr = (const uint32_t *)(r->data + (r->cons & r->mask));
		uint32_t l = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (l & RB_BUSY)
			return NULL; /* reserved, not committed yet: later */
		if (l & RB_DISCARD) {
			ks_bpf_ring_advance(r, l & ~RB_DISCARD);
			continue;
		}
		*len = l;
		return hdr + 2;
	}
	return NULL;
}

void ks_bpf_ring_advance(struct ks_bpf_ring *r, uint32_t len)
{
	r->cons += ((uint64_t)len + RB_HDR + 7u) & ~(uint64_t)7u;
	/* publishing every record would bounce the line the producers read; every few dozen
	 * records is plenty against an 8 MiB ring */
	if (++r->unpublished >= 64)
		ks_bpf_ring_publish(r);
}

void ks_bpf_ring_publish(struct ks_bpf_ring *r)
{
	__atomic_store_n(r->consumer_pos, r->cons, __ATOMIC_RELEASE);
	r->unpublished = 0;
}
