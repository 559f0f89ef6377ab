// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kestrel capture module: one misc device per possible CPU, /dev/kestrel<N>, each with
 * that CPU's ring (include/kestrel_kmod.h). One reader per device. The probes are
 * attached while at least one device is open and detached when the last one closes, so
 * an idle module costs nothing.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ks_internal.h"

struct ks_cpu **ks_cpus;
u8 ks_filter[KS_FILTER_BYTES];
int ks_capture;
pid_t ks_ignore_tgid;

static DEFINE_MUTEX(ks_session_lock); /* ks_nopen, probe attachment, session reset */
static int ks_nopen;

static void ks_session_begin(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		memset(&ks_cpus[cpu]->stats, 0, sizeof(ks_cpus[cpu]->stats));
	memset(ks_filter, 0, sizeof(ks_filter));
	WRITE_ONCE(ks_capture, 0);
	/* the opener is the engine: capturing it would feed its own work back to it */
	WRITE_ONCE(ks_ignore_tgid, current->tgid);
}

static void ks_session_end(void)
{
	struct ks_cpu_stats t = {};
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		t.events += ks_cpus[cpu]->stats.events;
		t.drops_full += ks_cpus[cpu]->stats.drops_full;
		t.drops_fault += ks_cpus[cpu]->stats.drops_fault;
		t.drops_bug += ks_cpus[cpu]->stats.drops_bug;
	}
	pr_info("kestrel: capture session ended: events=%llu drops_full=%llu drops_fault=%llu drops_bug=%llu\n",
		t.events, t.drops_full, t.drops_fault, t.drops_bug);
}

static int ks_open(struct inode *inode, struct file *file)
{
	struct ks_cpu *c = container_of(file->private_data, struct ks_cpu, misc);
	int err = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&c->lock);
	if (c->open) {
		err = -EBUSY; /* one consumer at a time */
		goto out;
	}
	mutex_lock(&ks_session_lock);
	if (ks_nopen == 0) {
		ks_session_begin();
		err = ks_probes_register();
	}
	if (!err)
		ks_nopen++;
	mutex_unlock(&ks_session_lock);
	if (err)
		goto out;
	c->open = true;
	file->private_data = c;
out:
	mutex_unlock(&c->lock);
	return err;
}

static int ks_release(struct inode *inode, struct file *file)
{
	struct ks_cpu *c = file->private_data;
	struct ks_ring *ring;

	/* no mapping is left (a mapping holds the file), only probes may still see it */
	mutex_lock(&c->lock);
	ring = rcu_dereference_protected(c->ring, lockdep_is_held(&c->lock));
	RCU_INIT_POINTER(c->ring, NULL);
	c->open = false;
	mutex_unlock(&c->lock);
	if (ring) {
		synchronize_rcu(); /* probes read the ring with preemption off */
		ks_ring_free(ring);
	}
	mutex_lock(&ks_session_lock);
	if (--ks_nopen == 0) {
		WRITE_ONCE(ks_capture, 0);
		ks_probes_unregister();
		ks_session_end();
	}
	mutex_unlock(&ks_session_lock);
	return 0;
}

/* The first mmap allocates the ring with the data size the reader asked for. */
static int ks_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ks_cpu *c = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	struct ks_ring *ring;
	bool fresh = false;
	u64 data;
	int err;

	if (vma->vm_pgoff != 0 || len <= PAGE_SIZE || (len - PAGE_SIZE) % 2)
		return -EINVAL;
	data = (len - PAGE_SIZE) / 2;
	mutex_lock(&c->lock);
	ring = rcu_dereference_protected(c->ring, lockdep_is_held(&c->lock));
	if (!ring) {
		ring = ks_ring_alloc(c->cpu, data);
		if (IS_ERR(ring)) {
			err = PTR_ERR(ring);
			goto out;
		}
		fresh = true;
	} else if (ring->size != data) {
		err = -EINVAL;
		goto out;
	}
	err = ks_ring_mmap(ring, vma);
	if (err && fresh)
		ks_ring_free(ring); /* the pages stay alive until the failed vma is zapped */
	else if (fresh)
		rcu_assign_pointer(c->ring, ring);
out:
	mutex_unlock(&c->lock);
	return err;
}

static long ks_set_ignore(u32 __user *argp)
{
	struct pid *pid;
	u32 v;

	if (get_user(v, argp))
		return -EFAULT;
	if (v == 0) {
		WRITE_ONCE(ks_ignore_tgid, 0);
		return 0;
	}
	/* the number is in the caller's pid namespace; the probes compare global ids */
	pid = find_get_pid(v);
	if (!pid)
		return -ESRCH;
	WRITE_ONCE(ks_ignore_tgid, pid_nr(pid));
	put_pid(pid);
	return 0;
}

static long ks_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ks_cpu *c = file->private_data;
	void __user *argp = (void __user *)arg;
	struct ks_kmod_filter f;
	struct ks_cpu_stats st;
	size_t i;

	switch (cmd) {
	case KS_IOC_SET_FILTER:
		if (copy_from_user(&f, argp, sizeof(f)))
			return -EFAULT;
		for (i = 0; i < KS_FILTER_BYTES; i++)
			WRITE_ONCE(ks_filter[i], f.bits[i]);
		return 0;
	case KS_IOC_START:
		WRITE_ONCE(ks_capture, 1);
		return 0;
	case KS_IOC_STOP:
		WRITE_ONCE(ks_capture, 0);
		return 0;
	case KS_IOC_GET_STATS:
		/* each u64 is written whole on its CPU; a snapshot may mix two moments */
		st.events = READ_ONCE(c->stats.events);
		st.drops_full = READ_ONCE(c->stats.drops_full);
		st.drops_fault = READ_ONCE(c->stats.drops_fault);
		st.drops_bug = READ_ONCE(c->stats.drops_bug);
		return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
	case KS_IOC_SET_IGNORE_TGID:
		return ks_set_ignore(argp);
	case KS_IOC_ABI_VERSION:
		return KS_ABI_VERSION;
	}
	return -ENOTTY;
}

static const struct file_operations ks_fops = {
	.owner = THIS_MODULE,
	.open = ks_open,
	.release = ks_release,
	.mmap = ks_mmap,
	.unlocked_ioctl = ks_ioctl,
	.compat_ioctl = ks_ioctl,
	.llseek = noop_llseek,
};

static void ks_free_cpus(void)
{
	unsigned int cpu;
	struct ks_cpu *c;

	for_each_possible_cpu(cpu) {
		c = ks_cpus[cpu];
		if (!c)
			continue;
		if (c->misc.minor != MISC_DYNAMIC_MINOR)
			misc_deregister(&c->misc);
		vfree(c->scratch);
		kfree(c);
	}
	kfree(ks_cpus);
}

static int __init ks_init(void)
{
	unsigned int cpu;
	struct ks_cpu *c;
	int err;

	BUILD_BUG_ON(KS_KMOD_PAGE != PAGE_SIZE);
	BUILD_BUG_ON(sizeof(struct ks_kmod_ring) > PAGE_SIZE);
	BUILD_BUG_ON(sizeof(struct ks_hdr) != KS_HDR_SIZE);
	ks_probe_init_table();
	ks_cpus = kcalloc(nr_cpu_ids, sizeof(*ks_cpus), GFP_KERNEL);
	if (!ks_cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (!c) {
			err = -ENOMEM;
			goto fail;
		}
		ks_cpus[cpu] = c;
		c->cpu = cpu;
		c->misc.minor = MISC_DYNAMIC_MINOR;
		mutex_init(&c->lock);
		c->scratch = vmalloc(KS_REC_LIMIT + KS_MAX_PATH);
		if (!c->scratch) {
			err = -ENOMEM;
			goto fail;
		}
		snprintf(c->name, sizeof(c->name), KS_KMOD_NAME "%u", cpu);
		c->misc.name = c->name;
		c->misc.fops = &ks_fops;
		c->misc.mode = 0600;
		err = misc_register(&c->misc);
		if (err) {
			c->misc.minor = MISC_DYNAMIC_MINOR;
			goto fail;
		}
	}
	pr_info("kestrel: loaded, ABI %u, %u devices\n", KS_ABI_VERSION, num_possible_cpus());
	return 0;
fail:
	ks_free_cpus();
	return err;
}

/* A device still open holds a module reference, so no probe is attached here. */
static void __exit ks_exit(void)
{
	ks_free_cpus();
	pr_info("kestrel: unloaded\n");
}

module_init(ks_init);
module_exit(ks_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kestrel runtime security sensor: syscall capture");
MODULE_VERSION("0.1.0");
