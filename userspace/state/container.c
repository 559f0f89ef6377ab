/*
 * Container ids from cgroup paths, and the queue of ids seen for the first time (so the
 * main loop can raise a `container` event even when no runtime can be asked about it).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "state_int.h"

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * One path component: "<64hex>" (cgroupfs drivers: /docker/<id>, /kubepods/.../<id>), or
 * with a runtime prefix and ".scope" suffix (systemd drivers: docker-<id>.scope,
 * cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope). Conmon scopes
 * (crio-conmon-, libpod-conmon-) are the runtime's monitor, not the container.
 */
static bool component_id(const char *c, size_t n, char full[65], const char **runtime)
{
	static const struct {
		const char *prefix, *runtime;
	} kinds[] = {
	    {"docker-", "docker"}, {"cri-containerd-", "containerd"}, {"crio-", "cri-o"},
	    {"libpod-", "podman"}, {"containerd-", "containerd"},     {"", NULL},
	};
	if (n > 6 && memcmp(c + n - 6, ".scope", 6) == 0)
		n -= 6;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t pl = strlen(kinds[i].prefix);
		if (n == pl + 64 && memcmp(c, kinds[i].prefix, pl) == 0 && all_hex(c + pl, 64)) {
			memcpy(full, c + pl, 64);
			full[64] = '\0';
			*runtime = kinds[i].runtime;
			return true;
		}
	}
	return false;
}

/* The innermost component wins: nested runtimes put the container last. */
static bool find_id(const char *cgroup, char full[65], const char **runtime)
{
	if (!cgroup)
		return false;
	const char *end = cgroup + strlen(cgroup);
	while (end > cgroup) {
		const char *start = end;
		while (start > cgroup && start[-1] != '/')
			start--;
		if (component_id(start, (size_t)(end - start), full, runtime)) {
			/* a bare id under /docker/ is docker's cgroupfs layout */
			if (!*runtime && start - cgroup >= 8 &&
			    memcmp(start - 8, "/docker/", 8) == 0)
				*runtime = "docker";
			return true;
		}
		end = start > cgroup ? start - 1 : cgroup;
	}
	return false;
}

void ks_container_id_from_cgroup(const char *cgroup, char out[16])
{
	char full[65];
	const char *rt;
	if (find_id(cgroup, full, &rt)) {
		memcpy(out, full, 12);
		out[12] = '\0';
	} else
		strcpy(out, "host");
}

bool ks_state_container_info(const struct ks_thread *t, char full_id[65], const char **runtime)
{
	const char *rt = NULL;
	if (!t || !find_id(t->cgroup, full_id, &rt))
		return false;
	if (runtime)
		*runtime = rt;
	return true;
}

/*
 * Kubernetes pod uid from the kubelet's cgroup layout: "pod<uid>" (cgroupfs) or
 * "kubepods-<qos>-pod<uid_with_underscores>.slice" (systemd).
 */
bool ks_state_k8s_pod_uid(const struct ks_thread *t, char uid[40])
{
	if (!t || !t->cgroup || !strstr(t->cgroup, "kubepods"))
		return false;
	for (const char *p = strstr(t->cgroup, "pod"); p; p = strstr(p + 3, "pod")) {
		const char *u = p + 3;
		size_t n = 0;
		while (n < 36 && (isxdigit((unsigned char)u[n]) || u[n] == '-' || u[n] == '_'))
			n++;
		if (n == 36 && (u[36] == '/' || u[36] == '.' || u[36] == '\0')) {
			for (size_t i = 0; i < 36; i++)
				uid[i] = u[i] == '_' ? '-' : u[i];
			uid[36] = '\0';
			return true;
		}
	}
	return false;
}

static size_t ctr_hash(const char id[16])
{
	size_t h = 5381;
	for (const char *p = id; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h & (KS_KNOWN_CTRS - 1);
}

void ks_container_seen(struct ks_state *st, const char id[16])
{
	if (strcmp(id, "host") == 0 || !id[0])
		return;
	size_t h = ctr_hash(id);
	for (size_t i = 0; i < KS_KNOWN_CTRS; i++) {
		char *slot = st->known_ctrs[(h + i) & (KS_KNOWN_CTRS - 1)];
		if (strcmp(slot, id) == 0)
			return;
		if (!slot[0]) {
			/* bounded: once most slots are taken, start over (ids get announced again)
			 */
			if (st->nknown_ctrs >= KS_KNOWN_CTRS * 3 / 4) {
				memset(st->known_ctrs, 0, KS_KNOWN_CTRS * sizeof(*st->known_ctrs));
				st->nknown_ctrs = 0;
				slot = st->known_ctrs[h];
			}
			snprintf(slot, 16, "%s", id);
			st->nknown_ctrs++;
			break;
		}
	}
	if (st->new_count == KS_NEW_CTR_QUEUE) {
		st->ctr.container_queue_drops++;
		return;
	}
	unsigned at = (st->new_head + st->new_count) % KS_NEW_CTR_QUEUE;
	snprintf(st->new_ctrs[at], 16, "%s", id);
	st->new_count++;
}

bool ks_state_next_new_container(struct ks_state *st, char id[16])
{
	if (!st->new_count)
		return false;
	memcpy(id, st->new_ctrs[st->new_head], 16);
	st->new_head = (st->new_head + 1) % KS_NEW_CTR_QUEUE;
	st->new_count--;
	return true;
}
