/* user.* and group.* fields: the calling thread's ids, named from the host's passwd/group. */
#include "fields.h"
#include "state/state.h"

static int name_or_na(struct ks_value *o, const char *s)
{
	return s ? ks_value_str(o, s) : 0;
}

KS_EXTRACT(f_uid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? ks_value_u64(o, KS_FT_UINT64, t->uid) : 0;
}

KS_EXTRACT(f_name)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? name_or_na(o, ks_state_user_name(ev->state, t->uid)) : 0;
}

KS_EXTRACT(f_homedir)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? name_or_na(o, ks_state_user_home(ev->state, t->uid)) : 0;
}

KS_EXTRACT(f_shell)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? name_or_na(o, ks_state_user_shell(ev->state, t->uid)) : 0;
}

/* The audit login uid; "unset" (4294967295) is shown as -1, as Falco does. */
KS_EXTRACT(f_loginuid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? ks_value_i64(o, (int32_t)t->loginuid) : 0;
}

KS_EXTRACT(f_loginname)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	if (!t || t->loginuid == UINT32_MAX)
		return 0;
	return name_or_na(o, ks_state_user_name(ev->state, t->loginuid));
}

KS_EXTRACT(f_gid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? ks_value_u64(o, KS_FT_UINT64, t->gid) : 0;
}

KS_EXTRACT(f_gname)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? name_or_na(o, ks_state_group_name(ev->state, t->gid)) : 0;
}

/* clang-format off */
static const struct ks_field_def defs[] = {
	{"user.uid", KS_FT_UINT64, 0, "effective user id of the thread", f_uid},
	{"user.name", KS_FT_STRING, 0, "name of the effective user (host /etc/passwd)", f_name},
	{"user.homedir", KS_FT_STRING, 0, "home directory of the effective user (host /etc/passwd)", f_homedir},
	{"user.shell", KS_FT_STRING, 0, "login shell of the effective user (host /etc/passwd)", f_shell},
	{"user.loginuid", KS_FT_INT64, 0, "audit login uid of the thread (the user who logged in); -1 if unset", f_loginuid},
	{"user.loginname", KS_FT_STRING, 0, "name of the audit login user (host /etc/passwd)", f_loginname},
	{"group.gid", KS_FT_UINT64, 0, "effective group id of the thread", f_gid},
	{"group.name", KS_FT_STRING, 0, "name of the effective group (host /etc/group)", f_gname},
};
/* clang-format on */

const struct ks_field_table ks_fields_user = {defs, sizeof(defs) / sizeof(defs[0])};
