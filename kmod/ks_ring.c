// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-CPU rings: one vmalloc_user() area, a header page then the data, mapped into the
 * reader with the data twice back to back (see include/kestrel_kmod.h). The module keeps
 * its own head and never trusts the shared page: a bogus tail only makes records drop.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

#include "ks_internal.h"

struct ks_ring *ks_ring_alloc(unsigned int cpu, u64 size)
{
	struct ks_ring *r;

	if (size < KS_KMOD_MIN_DATA || size > KS_KMOD_MAX_DATA || !is_power_of_2(size))
		return ERR_PTR(-EINVAL);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	/* vmalloc_user zeroes the pages and marks the area mappable by remap/insert */
	r->hdr = vmalloc_user(PAGE_SIZE + size);
	if (!r->hdr) {
		kfree(r);
		return ERR_PTR(-ENOMEM);
	}
	r->data = (u8 *)r->hdr + PAGE_SIZE;
	r->size = size;
	r->hdr->abi_version = KS_ABI_VERSION;
	r->hdr->cpu = cpu;
	r->hdr->data_size = size;
	return r;
}

void ks_ring_free(struct ks_ring *r)
{
	if (!r)
		return;
	vfree(r->hdr);
	kfree(r);
}

/* The vma must be exactly header + data + data, from offset 0. */
int ks_ring_mmap(struct ks_ring *r, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long npages = r->size >> PAGE_SHIFT, i, addr = vma->vm_start;
	int err;

	/* shared only: a private copy would hide the reader's tail from the module */
	if (vma->vm_pgoff != 0 || len != KS_KMOD_MAP_SIZE(r->size) || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY);
#else
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY;
#endif
	/* header and first copy of the data map the area as it lies ... */
	for (i = 0; i <= npages; i++, addr += PAGE_SIZE) {
		err = vm_insert_page(vma, addr, vmalloc_to_page((u8 *)r->hdr + i * PAGE_SIZE));
		if (err)
			return err;
	}
	/* ... and the data pages once more right after, so records never wrap */
	for (i = 0; i < npages; i++, addr += PAGE_SIZE) {
		err = vm_insert_page(vma, addr, vmalloc_to_page(r->data + i * PAGE_SIZE));
		if (err)
			return err;
	}
	return 0;
}

void ks_ring_sync_stats(struct ks_cpu *c, struct ks_ring *r)
{
	WRITE_ONCE(r->hdr->stats.events, c->stats.events);
	WRITE_ONCE(r->hdr->stats.drops_full, c->stats.drops_full);
	WRITE_ONCE(r->hdr->stats.drops_fault, c->stats.drops_fault);
	WRITE_ONCE(r->hdr->stats.drops_bug, c->stats.drops_bug);
}

/* Called with preemption off on c's CPU: the only writer of this ring. */
void ks_ring_write(struct ks_cpu *c, struct ks_ring *r, const void *rec, u32 len)
{
	u64 need = KS_KMOD_ALIGN(len), tail, used, off, first;

	/* acquire: the reader is done with everything before tail */
	tail = smp_load_acquire(&r->hdr->tail);
	used = r->head - tail;
	if (used > r->size || r->size - used < need) {
		c->stats.drops_full++;
		return;
	}
	/* the kernel maps the data once, so a record at the end is copied in two parts */
	off = r->head & (r->size - 1);
	first = min_t(u64, len, r->size - off);
	memcpy(r->data + off, rec, first);
	memcpy(r->data, (const u8 *)rec + first, len - first);
	r->head += need;
	c->stats.events++;
	/* release: the record's bytes are visible before the new head */
	smp_store_release(&r->hdr->head, r->head);
}
