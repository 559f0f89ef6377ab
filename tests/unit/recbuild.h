/*
 * Build records in memory, exactly as a driver would write them, for unit tests.
 *
 *   struct ks_recbuf rb;
 *   ks_rec_begin(&rb, KS_E_OPENAT, tid, pid, ts);
 *   ks_rec_s64(&rb, 3);            // res
 *   ks_rec_s64(&rb, AT_FDCWD);     // dirfd
 *   ks_rec_str(&rb, "/etc/shadow");
 *   ks_rec_u32(&rb, O_RDONLY); ks_rec_u32(&rb, 0);
 *   const void *rec = ks_rec_end(&rb);   // rb.len is the record length
 *
 * Parameters go in table order; ks_rec_none() adds an absent (length 0) parameter.
 */
#ifndef KS_RECBUILD_H
#define KS_RECBUILD_H

#include <stdint.h>
#include <string.h>

#include "kestrel_abi.h"

struct ks_recbuf {
	uint8_t data[KS_MAX_RECORD];
	uint8_t pbuf[KS_MAX_RECORD];
	uint16_t lens[KS_MAX_PARAMS];
	size_t np, plen, len;
	struct ks_hdr hdr;
};

static inline void ks_rec_begin(struct ks_recbuf *b, uint16_t type, uint32_t tid, uint32_t pid,
				uint64_t ts)
{
	memset(&b->hdr, 0, sizeof b->hdr);
	b->hdr.type = type;
	b->hdr.tid = tid;
	b->hdr.pid = pid;
	b->hdr.ts = ts;
	b->np = b->plen = b->len = 0;
}

static inline void ks_rec_raw(struct ks_recbuf *b, const void *p, size_t n)
{
	memcpy(b->pbuf + b->plen, p, n);
	b->plen += n;
	b->lens[b->np++] = (uint16_t)n;
}

static inline void ks_rec_s64(struct ks_recbuf *b, int64_t v)
{
	ks_rec_raw(b, &v, 8);
}
static inline void ks_rec_u64(struct ks_recbuf *b, uint64_t v)
{
	ks_rec_raw(b, &v, 8);
}
static inline void ks_rec_u32(struct ks_recbuf *b, uint32_t v)
{
	ks_rec_raw(b, &v, 4);
}
static inline void ks_rec_none(struct ks_recbuf *b)
{
	ks_rec_raw(b, "", 0);
}
static inline void ks_rec_str(struct ks_recbuf *b, const char *s)
{
	ks_rec_raw(b, s, strlen(s) + 1);
}
/* argv-style: strings separated by NULs, given as "a\0b\0c" with total length n (incl last NUL) */
static inline void ks_rec_strs(struct ks_recbuf *b, const char *s, size_t n)
{
	ks_rec_raw(b, s, n);
}

static inline const void *ks_rec_end(struct ks_recbuf *b)
{
	b->hdr.nparams = (uint16_t)b->np;
	b->len = KS_HDR_SIZE + 2 * b->np + b->plen;
	b->hdr.len = (uint32_t)b->len;
	memcpy(b->data, &b->hdr, KS_HDR_SIZE);
	memcpy(b->data + KS_HDR_SIZE, b->lens, 2 * b->np);
	memcpy(b->data + KS_HDR_SIZE + 2 * b->np, b->pbuf, b->plen);
	return b->data;
}

#endif
