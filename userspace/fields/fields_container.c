/*
 * container.* and k8s.* fields. What the cgroup path tells (id, runtime, pod uid) is
 * extracted; what only a container runtime or the Kubernetes API knows (names, images,
 * labels, privileges) is not reachable yet and always <NA>.
 */
#include <string.h>

#include "fields.h"
#include "state/state.h"

static bool is_host(const struct ks_thread *t)
{
	return strcmp(t->container_id, "host") == 0;
}

KS_EXTRACT(f_id)
{
	(void)r, (void)m;
	/* a `container` event is about the container it announces, whoever the caller is */
	if (ev->type == KS_E_CONTAINER) {
		const char *id = ks_event_str_by_name(ev, "id");
		if (id)
			return ks_value_str(o, id);
	}
	struct ks_thread *t = ks_field_thread(ev);
	return t ? ks_value_str(o, t->container_id) : 0;
}

KS_EXTRACT(f_full_id)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	if (!t)
		return 0;
	if (is_host(t))
		return ks_value_str(o, "host");
	char *full = ks_arena_alloc(ev->arena, 65);
	return full && ks_state_container_info(t, full, NULL) ? ks_value_str(o, full) : 0;
}

/* Falco names the host "host"; containers' names need the runtime. */
KS_EXTRACT(f_name)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && is_host(t) ? ks_value_str(o, "host") : 0;
}

KS_EXTRACT(f_type)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	if (!t)
		return 0;
	if (is_host(t))
		return ks_value_str(o, "host");
	char full[65];
	const char *rt = NULL;
	return ks_state_container_info(t, full, &rt) && rt ? ks_value_str(o, rt) : 0;
}

KS_EXTRACT(f_pod_uid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	char *uid = ks_arena_alloc(ev->arena, 40);
	return t && uid && ks_state_k8s_pod_uid(t, uid) ? ks_value_str(o, uid) : 0;
}

#define NA  KS_FF_NA_ALWAYS
#define RT  " (needs a container runtime connection, not available yet)"
#define K8S " (needs Kubernetes metadata, not available yet)"

/* clang-format off */
static const struct ks_field_def defs[] = {
	{"container.id", KS_FT_STRING, 0, "container id (12 characters) from the cgroup path; \"host\" for host processes", f_id},
	{"container.full_id", KS_FT_STRING, 0, "full container id (64 characters); \"host\" for host processes", f_full_id},
	{"container.name", KS_FT_STRING, 0, "container name; \"host\" for host processes, <NA> for containers" RT, f_name},
	{"container.type", KS_FT_STRING, 0, "container runtime from the cgroup layout: docker, containerd, cri-o, podman; \"host\" for host processes", f_type},
	{"container.image", KS_FT_STRING, NA, "container image name" RT, NULL},
	{"container.image.id", KS_FT_STRING, NA, "container image id" RT, NULL},
	{"container.image.repository", KS_FT_STRING, NA, "container image repository" RT, NULL},
	{"container.image.tag", KS_FT_STRING, NA, "container image tag" RT, NULL},
	{"container.image.digest", KS_FT_STRING, NA, "container image registry digest" RT, NULL},
	{"container.privileged", KS_FT_BOOL, NA, "true for containers running privileged" RT, NULL},
	{"container.mounts", KS_FT_STRING, NA, "container mount information" RT, NULL},
	{"container.mount", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "one container mount, by index or source path" RT, NULL},
	{"container.mount.source", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "source of a container mount" RT, NULL},
	{"container.mount.dest", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "destination of a container mount" RT, NULL},
	{"container.mount.mode", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "mode of a container mount" RT, NULL},
	{"container.mount.rdwr", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "read/write flag of a container mount" RT, NULL},
	{"container.mount.propagation", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "propagation of a container mount" RT, NULL},
	{"container.start_ts", KS_FT_ABSTIME, NA, "container start time, ns since the epoch" RT, NULL},
	{"container.duration", KS_FT_RELTIME, NA, "ns since the container started" RT, NULL},
	{"container.ip", KS_FT_STRING, NA, "container's primary ip address" RT, NULL},
	{"container.cni.json", KS_FT_STRING, NA, "container's CNI result" RT, NULL},
	{"container.host_pid", KS_FT_BOOL, NA, "true if the container shares the host's pid namespace" RT, NULL},
	{"container.host_network", KS_FT_BOOL, NA, "true if the container shares the host's network namespace" RT, NULL},
	{"container.host_ipc", KS_FT_BOOL, NA, "true if the container shares the host's ipc namespace" RT, NULL},
	{"container.healthcheck", KS_FT_STRING, NA, "container healthcheck command" RT, NULL},
	{"container.liveness_probe", KS_FT_STRING, NA, "container liveness probe command" RT, NULL},
	{"container.readiness_probe", KS_FT_STRING, NA, "container readiness probe command" RT, NULL},
	{"container.label", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "one container label, container.label[name]" RT, NULL},
	{"container.labels", KS_FT_STRING, NA, "container labels as key:value, comma separated" RT, NULL},
	{"container.user", KS_FT_STRING, NA, "user the container runs as" RT, NULL},
	{"k8s.pod.uid", KS_FT_STRING, 0, "Kubernetes pod uid, from the kubelet's cgroup layout", f_pod_uid},
	{"k8s.pod.name", KS_FT_STRING, NA, "Kubernetes pod name" K8S, NULL},
	{"k8s.pod.id", KS_FT_STRING, NA, "Kubernetes pod id (legacy name of the uid)" K8S, NULL},
	{"k8s.pod.sandbox_id", KS_FT_STRING, NA, "Kubernetes pod sandbox id" K8S, NULL},
	{"k8s.pod.full_sandbox_id", KS_FT_STRING, NA, "Kubernetes pod full sandbox id" K8S, NULL},
	{"k8s.pod.label", KS_FT_STRING, KS_FF_KEY_REQUIRED | NA, "one Kubernetes pod label, k8s.pod.label[name]" K8S, NULL},
	{"k8s.pod.labels", KS_FT_STRING, NA, "Kubernetes pod labels" K8S, NULL},
	{"k8s.pod.ip", KS_FT_STRING, NA, "Kubernetes pod ip address" K8S, NULL},
	{"k8s.pod.cni.json", KS_FT_STRING, NA, "Kubernetes pod CNI result" K8S, NULL},
	{"k8s.ns.name", KS_FT_STRING, NA, "Kubernetes namespace name" K8S, NULL},
};
/* clang-format on */

const struct ks_field_table ks_fields_container = {defs, sizeof(defs) / sizeof(defs[0])};
