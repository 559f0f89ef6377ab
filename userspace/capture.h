/*
 * Capture files: the records a driver delivered, written as they came (-w FILE), to be
 * replayed through the engine later (-e FILE, engine.kind=replay).
 *
 * Layout: a 64-byte header, then records back to back, each padded to 8 bytes:
 *   char magic[8] = "KSCAPT01"; u32 abi_version; u32 header_size (64);
 *   u64 boot_to_epoch_ns (adds to record timestamps); u64 record_bytes; u8 reserved[32]
 * Records are validated on replay exactly as records from a kernel ring are.
 */
#ifndef KS_CAPTURE_H
#define KS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define KS_CAPTURE_MAGIC "KSCAPT01"
#define KS_CAPTURE_HDR	 64u

struct ks_capture_hdr {
	char magic[8];
	uint32_t abi_version;
	uint32_t header_size;
	uint64_t boot_to_epoch_ns;
	uint64_t record_bytes;
	uint8_t reserved[32];
};

struct ks_capture;

/* Create (truncate) path. Returns 0 or a negative errno, logging why. */
int ks_capture_open(const char *path, uint64_t boot_to_epoch_ns, struct ks_capture **out);
/* Append one record. Returns 0 or a negative errno (disk full, ...). */
int ks_capture_write(struct ks_capture *c, const void *rec, size_t len);
/* Flush, write the final header, close. Returns 0 or a negative errno. */
int ks_capture_close(struct ks_capture *c);

/* Read and check a capture file's header (used by the replay driver). */
int ks_capture_read_header(int fd, const char *path, struct ks_capture_hdr *h);

#endif
