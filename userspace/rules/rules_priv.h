/*
 * Internal interfaces of the rules engine, shared by the files of userspace/rules/.
 *
 * Loading runs in three steps:
 *   1. yaml_load.c/items.c read each file into definitions (ks_defs): lists, macros and rules
 *      with their texts, applying redefinition, append and override as Falco does;
 *   2. parser.c turns each condition text into a syntax tree (ks_ast);
 *   3. compile.c resolves macros, lists, exceptions and fields into an evaluation tree
 *      (ks_cnode) per rule; ruleset.c indexes the rules by event type.
 * Everything of step 1-2 lives in a load pool freed when loading ends; the evaluation trees
 * live in the ruleset's pool.
 */
#ifndef KS_RULES_PRIV_H
#define KS_RULES_PRIV_H

#include <regex.h>
#include <stdarg.h>

#include "fields/fields.h"
#include "rules/rules.h"

/* ---- pool.c: bump allocator, everything freed at once ---- */
struct ks_pool;
struct ks_pool *ks_pool_new(void);
void ks_pool_free(struct ks_pool *p);		  /* runs the deferred cleanups, newest first */
void *ks_pool_alloc(struct ks_pool *p, size_t n); /* zeroed; NULL when out of memory */
char *ks_pool_strndup(struct ks_pool *p, const char *s, size_t n);
char *ks_pool_strdup(struct ks_pool *p, const char *s);
int ks_pool_defer(struct ks_pool *p, void (*fn)(void *), void *arg);

/* A growable array of pointers whose storage is in a pool. */
struct ks_vec {
	void **v;
	size_t n, cap;
};
int ks_vec_push(struct ks_pool *p, struct ks_vec *v, void *x);

/* ---- srctext.c: where text came from, diagnostics ---- */
struct ks_srcfile {
	const char *path;
	const char *buf;
	size_t len;
	size_t *line_start; /* byte index of each line's first byte */
	size_t nlines;
};

/* A position in a file, 1-based; line 0 means "the file as a whole". */
struct ks_loc {
	const struct ks_srcfile *file;
	unsigned line, col;
};

/* Part of a text that came from one YAML scalar, for mapping offsets back to the file. */
struct ks_seg {
	size_t off, len;  /* in the text */
	size_t src;	  /* byte index in file->buf where the scalar's node starts */
	struct ks_loc at; /* of the node start */
};

/* A condition or output text, possibly assembled by append from several scalars. */
struct ks_text {
	const char *s;
	size_t len;
	struct ks_seg *segs;
	size_t nsegs;
};

struct ks_srcfile *ks_srcfile_new(struct ks_pool *p, const char *path, const char *buf, size_t len);
struct ks_loc ks_loc_at(const struct ks_srcfile *f, size_t byte);
struct ks_loc ks_text_loc(const struct ks_text *t, size_t off);
/* t = t + sep + add (Falco's append). */
int ks_text_append(struct ks_pool *p, struct ks_text *t, const struct ks_text *add,
		   const char *sep);
int ks_text_single(struct ks_pool *p, struct ks_text *t, const char *s, size_t len,
		   struct ks_loc at, size_t src);

/* Print "FILE:LINE:COL: error: msg" (or warning) through the diagnostic sink. */
void ks_diag(bool error, const struct ks_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ks_vdiag(bool error, const struct ks_loc *loc, const char *fmt, va_list ap);

/* ---- definitions read from the files (items.c) ---- */
struct ks_list_def {
	const char *name;
	struct ks_loc loc;
	struct ks_vec items; /* char * */
	size_t index;	     /* definition order, to expand only earlier lists as Falco does */
};

struct ks_macro_def {
	const char *name;
	struct ks_loc loc;
	struct ks_text cond;
	struct ks_ast *ast; /* parsed at the end of loading */
	bool visiting;	    /* macro loop detection while expanding */
};

/* One value of an exception row: a scalar, or a sequence for in/pmatch/intersects. */
struct ks_exc_val {
	bool is_list;
	struct ks_vec items; /* char * */
	struct ks_loc loc;
};

struct ks_exc_def {
	const char *name;
	struct ks_loc loc;
	bool fields_list;     /* fields: [a, b] (rows of values) vs fields: a (list of values) */
	struct ks_vec fields; /* char * */
	struct ks_vec comps;  /* char *, may be empty: defaults */
	struct ks_vec rows;   /* struct ks_vec * of struct ks_exc_val * */
	struct ks_text where; /* the exception's name node, for error positions */
};

struct ks_rule_def {
	const char *name;
	struct ks_loc loc;
	struct ks_text cond;
	struct ks_text output;
	const char *desc;
	int priority;
	struct ks_loc pri_loc;
	struct ks_vec tags; /* char * */
	bool enabled;
	const char *source;
	struct ks_vec exceptions; /* struct ks_exc_def * */
	bool skip_unknown;
};

struct ks_defs {
	struct ks_pool *pool;
	struct ks_vec lists, macros, rules; /* in definition order (redefinition keeps the slot) */
	size_t nlist_defs;
};

struct ks_list_def *ks_defs_list(const struct ks_defs *d, const char *name);
struct ks_macro_def *ks_defs_macro(const struct ks_defs *d, const char *name);
struct ks_rule_def *ks_defs_rule(const struct ks_defs *d, const char *name);

/* yaml_load.c: read one file's items into defs. */
int ks_yaml_load_file(struct ks_defs *d, const char *path);

/* ---- the condition language ---- */
enum ks_op {
	KS_OP_EQ,
	KS_OP_NE,
	KS_OP_LT,
	KS_OP_LE,
	KS_OP_GT,
	KS_OP_GE,
	KS_OP_CONTAINS,
	KS_OP_ICONTAINS,
	KS_OP_BCONTAINS,
	KS_OP_STARTSWITH,
	KS_OP_BSTARTSWITH,
	KS_OP_ENDSWITH,
	KS_OP_GLOB,
	KS_OP_IGLOB,
	KS_OP_REGEX,
	KS_OP_IN,
	KS_OP_INTERSECTS,
	KS_OP_PMATCH,
	KS_OP_EXISTS,
};
const char *ks_op_name(enum ks_op op);
int ks_op_parse(const char *s, size_t len); /* -1 if not an operator */
bool ks_op_is_list(enum ks_op op);	    /* in, intersects, pmatch take a (list) */

enum ks_xf { KS_XF_TOLOWER, KS_XF_TOUPPER, KS_XF_B64, KS_XF_BASENAME, KS_XF_LEN };
#define KS_MAX_XF 8
int ks_xf_parse(const char *s, size_t len); /* -1 if not a transformer */
const char *ks_xf_name(enum ks_xf x);

#define KS_MAX_DEPTH 1000 /* nesting of parentheses and `not` in one condition text */

enum ks_ast_kind { KS_A_AND, KS_A_OR, KS_A_NOT, KS_A_CHECK, KS_A_MACRO };
enum ks_rhs_kind { KS_RHS_NONE, KS_RHS_VALUE, KS_RHS_LIST, KS_RHS_FIELD };

/* A field as written, with transformers around it: tolower(proc.name). */
struct ks_afield {
	const char *name;      /* "proc.aname[2]" */
	size_t off;	       /* of the name in the text */
	uint8_t xf[KS_MAX_XF]; /* innermost first */
	uint8_t nxf;
};

struct ks_ast {
	enum ks_ast_kind kind;
	const struct ks_text *src;
	size_t off;
	struct ks_ast **kids; /* and/or: n, not: 1 */
	size_t nkids;
	const char *ident; /* macro name */
	struct ks_afield lhs;
	enum ks_op op;
	enum ks_rhs_kind rhs;
	const char **vals; /* value or list items */
	size_t *voffs;
	size_t nvals;
	struct ks_afield rfield; /* val(field) */
};

/* parser.c: errors are reported with ks_diag; returns 0 or -EINVAL/-ENOMEM. */
int ks_cond_parse(struct ks_pool *p, const struct ks_text *t, struct ks_ast **out);
/* Parse a quoted string token at s (s[0] is the quote); returns its length in s or 0. */
size_t ks_lex_quoted(const char *s, size_t len, char *out, size_t *outlen);

/* ---- compiled conditions ---- */
struct ks_tset {
	uint64_t w[(KS_E_MAX + 63) / 64];
};
static inline bool ks_tset_has(const struct ks_tset *s, unsigned t)
{
	return (s->w[t / 64] >> (t % 64)) & 1u;
}
static inline void ks_tset_add(struct ks_tset *s, unsigned t)
{
	s->w[t / 64] |= (uint64_t)1 << (t % 64);
}

/* A compiled right-hand value: its text and every typed form it parses as. */
struct ks_operand {
	const char *s;
	uint32_t len;
	bool has_int, has_ip, has_bool;
	bool neg; /* has_int: the number is negative (i), else u */
	int64_t i;
	uint64_t u;
	bool b;
	struct ks_ip ip; /* prefix is 0..128; full length when no /N */
	regex_t *re;
};

/* A field with its transformers, as evaluated. */
struct ks_fx {
	struct ks_field_ref ref;
	uint32_t slot; /* per-event cache slot */
	uint8_t xf[KS_MAX_XF];
	uint8_t nxf;
	enum ks_ftype type; /* after the transformers */
	bool list;	    /* may yield several values */
};

struct ks_strset; /* operand.c: hash set of operand strings for `in` */

struct ks_cmp {
	struct ks_fx lhs;
	enum ks_op op;
	struct ks_fx *rhs; /* val(field), or NULL */
	struct ks_operand *vals;
	uint32_t nvals;
	struct ks_strset *set;
};

enum ks_cnode_kind { KS_C_AND, KS_C_OR, KS_C_NOT, KS_C_CMP, KS_C_EVTTYPE };

struct ks_cnode {
	enum ks_cnode_kind kind;
	bool neg; /* EVTTYPE: evt.type != x */
	uint32_t nkids;
	union {
		struct ks_cnode **kids;
		struct ks_cmp *cmp;
		struct ks_tset *types;
	};
	/* EVTTYPE: syscalls outside the event table named by the condition (getpid...), which
	 * arrive as generic events: bit n = syscall n; NULL if none */
	uint8_t *gen_nrs;
};

/* operand.c */
int ks_operand_init(struct ks_pool *p, struct ks_operand *o, const char *s, enum ks_op op,
		    enum ks_ftype ft, char *err, size_t errlen);
bool ks_value_cmp(enum ks_op op, const struct ks_value *v, const struct ks_operand *o);
bool ks_values_cmp2(enum ks_op op, const struct ks_value *a, const struct ks_value *b);
struct ks_strset *ks_strset_new(struct ks_pool *p, const struct ks_operand *vals, size_t n);
bool ks_strset_has(const struct ks_strset *s, const char *str, size_t len);

/* transform.c: apply fx's transformers to vals[0..n) in place; returns the new count. */
int ks_xf_apply(const struct ks_fx *fx, struct ks_event *ev, struct ks_value *vals, int n);
/* The type a transformer yields for an input type; -1 if it does not apply to it. */
int ks_xf_type(enum ks_xf x, enum ks_ftype in);

/* ---- the ruleset ---- */
struct ks_rrule {
	struct ks_rule pub;
	struct ks_cnode *root;
	struct ks_tset types;
};

struct ks_slotkey {
	const struct ks_field_def *def;
	bool has_arg;
	int64_t argnum;
	const char *argstr;
};

struct ks_ruleset {
	struct ks_pool *pool;
	struct ks_rrule **rules; /* enabled, evaluated rules in load order */
	size_t n;
	bool match_all;
	uint32_t *by_type[KS_E_MAX]; /* rule indexes that can match each event type */
	uint32_t nby_type[KS_E_MAX];
	uint8_t gen_filter[KS_FILTER_BYTES]; /* generic syscalls some rule asks for by name */
	struct ks_vec slots;		     /* struct ks_slotkey *: distinct field references */
};

/* compile.c */
struct ks_compiler {
	struct ks_defs *defs;
	struct ks_ruleset *rs;
	const struct ks_rule_def *rule;
	bool skip_unknown; /* the rule has skip-if-unknown-filter: true */
	bool skipped;	   /* ... and referenced an unknown field */
	size_t nodes;
	unsigned depth;
};
int ks_compile_rule(struct ks_compiler *c, struct ks_cnode **out);
void ks_cnode_types(const struct ks_cnode *n, bool inverted, struct ks_tset *out);

/* eval.c: ks_ruleset_eval is there, with the per-event field cache. */

#endif
