/*
 * spec.c -- read a sweep's spec (README.md, "The spec") into an hpo_spec.
 *
 * The file is loaded whole with libyaml's document API, so every node keeps
 * its start mark and each message can point at the node that is wrong, in
 * the compiler convention "FILE:LINE:COL: message" (1-based).  Validation is
 * complete here -- unknown keys, duplicate keys, types, ranges, conditions,
 * the command's placeholders -- so that the planner, the optimizers and the
 * trial runner may take every field as given.  Only the first error is
 * reported: later ones are often consequences of it.
 *
 * Order of the checks: the top-level keys (unknown, duplicated, missing),
 * then each section in the order the file gives them, then what relates
 * sections to each other (the command's placeholders, fidelity.param).
 *
 * The space may also come in PaddleHub's hparam.yaml format (a top-level
 * `param_list:`), inline or from a file named by `space: FILE`, so users of
 * that tool can bring their files unchanged.  lib/spec/space.c owns what a space
 * means; this file only builds it.
 */
#include "spec/spec.h"
#include "core/util.h"
#include "core/metric_name.h"
#include "spec/slurm_units.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* The largest integer a double holds exactly: int parameters travel as
 * doubles (space.h), so their bounds must stay below it. */
#define MAX_EXACT_INT 9007199254740992.0

/* One YAML document being read, and the file its messages name. */
typedef struct ctx {
    const char *path;
    yaml_document_t *doc;
    /* Nodes kept for the checks that span sections, run at the end. */
    yaml_node_t *command;
    yaml_node_t *fidelity_param;
    yaml_node_t *trials_per_gpu;   /* parallel.trials_per_gpu, if given */
    int slurm_section;             /* a slurm: section was given */
    const char *space_override;    /* read `space: FILE` from here (spec_parse_frozen) */
} ctx;

/* ---- errors ------------------------------------------------------------ */

/* Record "FILE:LINE:COL: message" at node n (1:1 when n is NULL: the file
 * as a whole) and return HPO_ESPEC. */
static int fail(const ctx *c, const yaml_node_t *n, const char *fmt, ...) HPO_PRINTF(3, 4);
static int fail(const ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = n ? (int)n->start_mark.line + 1 : 1;
    int col = n ? (int)n->start_mark.column + 1 : 1;
    return hpo_error(HPO_ESPEC, "%s:%d:%d: %s", c->path, line, col, msg);
}

/* Levenshtein distance, capped to keep the table on the stack; keys longer
 * than that are never worth a suggestion. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];
    if (la > 64 || lb > 64) return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The candidate closest to `word` within distance 2 (the first on ties),
 * or NULL: a typo is worth a "did you mean", a different word is not. */
static const char *suggest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || strcmp(cands[i], word) == 0) continue;
        size_t d = edit_distance(word, cands[i]);
        if (d < best_d) best_d = d, best = cands[i];
    }
    return best;
}

static int count_list(const char *const *list)
{
    int n = 0;
    while (list[n]) n++;
    return n;
}

/* "a, b, c" into buf (truncated to fit). */
static const char *join_list(char *buf, size_t size, const char *const *items, int n, const char *sep)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? sep : "", items[i]);
    return buf;
}

/* " (did you mean 'x'?)" or "". */
static const char *did_you_mean(char *buf, size_t size, const char *word, const char *const *cands, int n)
{
    const char *s = suggest(word, cands, n);
    if (s) snprintf(buf, size, " (did you mean '%s'?)", s);
    else buf[0] = '\0';
    return buf;
}

static const char *fmt_num(char buf[40], double v)
{
    format_double(buf, 40, v);
    return buf;
}

/* ---- nodes ------------------------------------------------------------- */

static yaml_node_t *node(const ctx *c, int id) { return yaml_document_get_node(c->doc, id); }

/* YAML's null: a plain scalar "", "~" or "null". */
static int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *t = (const char *)n->data.scalar.value;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

/* A scalar's text, or NULL for mappings, lists and nulls. */
static const char *text_of(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n)) return NULL;
    return (const char *)n->data.scalar.value;
}

/* What the node is, for "got ..." in messages: "\"abc\"", "a mapping"... */
static const char *describe(char *buf, size_t size, const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE) return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE) return "a list";
    if (is_null(n)) return "nothing";
    const char *t = (const char *)n->data.scalar.value;
    size_t len = strlen(t), max = size > 8 ? size - 8 : 0;
    if (len > max) snprintf(buf, size, "\"%.*s...\"", (int)max, t);
    else snprintf(buf, size, "\"%s\"", t);
    /* one line per message, whatever the scalar holds */
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    return buf;
}

#define DESCRIBE(n) describe((char[80]){0}, 80, (n))

/* The value of `key` in mapping m (and the key node), or NULL. */
static yaml_node_t *lookup(const ctx *c, yaml_node_t *m, const char *key, yaml_node_t **key_node)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0) {
            if (key_node) *key_node = k;
            return node(c, p->value);
        }
    }
    return NULL;
}

static const char *key_text(const yaml_node_t *k) { return (const char *)k->data.scalar.value; }

/* End a message fragment that did not fit (n: what snprintf wanted) with
 * "...", so a cut-off name does not read as a different one. */
static void mark_truncated(char *buf, size_t size, int n)
{
    if (n >= 0 && (size_t)n >= size && size > 4) memcpy(buf + size - 4, "...", 4);
}

/* "prefix.key" (or "key" at the top). */
static const char *dotted(char *buf, size_t size, const char *prefix, const char *key)
{
    mark_truncated(buf, size, snprintf(buf, size, "%s%s%s", prefix, *prefix ? "." : "", key));
    return buf;
}

/* "prefix: " (or "" at the top), for messages about a whole mapping. */
static const char *lead(char *buf, size_t size, const char *prefix)
{
    mark_truncated(buf, size, snprintf(buf, size, "%s%s", prefix, *prefix ? ": " : ""));
    return buf;
}

/*
 * Check mapping m's keys: each a scalar, none repeated (libyaml accepts
 * duplicates and a later one would silently win), and each in `valid`
 * unless that is NULL (open sets: parameter names, algorithm options).
 * `what` is the word for a key in messages ("key", "parameter").
 */
static int check_keys(const ctx *c, yaml_node_t *m, const char *where, const char *what,
                      const char *const *valid)
{
    char pre[300], hint[400];
    lead(pre, sizeof pre, where);
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key);
        const char *name = text_of(k);
        if (!name) return fail(c, k, "%sexpected a %s name, got %s", pre, what, DESCRIBE(k));
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k0 = node(c, q->key);
            if (strcmp(key_text(k0), name) == 0)
                return fail(c, k, "%sduplicate %s '%s' (first at line %d)", pre, what, name,
                            (int)k0->start_mark.line + 1);
        }
        if (!valid) continue;
        int n = count_list(valid), known = 0;
        for (int i = 0; i < n && !known; i++) known = strcmp(valid[i], name) == 0;
        if (known) continue;
        if (suggest(name, valid, n))
            did_you_mean(hint, sizeof hint, name, valid, n);
        else {
            char list[300];
            snprintf(hint, sizeof hint, " (valid keys: %s)", join_list(list, sizeof list, valid, n, ", "));
        }
        return fail(c, k, "%sunknown key '%s'%s", pre, name, hint);
    }
    return HPO_OK;
}

/* Require node n to be a mapping; `example` shows what one looks like. */
static int expect_map(const ctx *c, yaml_node_t *n, const char *where, const char *example)
{
    if (n->type == YAML_MAPPING_NODE) return HPO_OK;
    return fail(c, n, "%s: expected a mapping like %s, got %s", where, example, DESCRIBE(n));
}

static int missing(const ctx *c, yaml_node_t *m, const char *where, const char *key)
{
    char pre[300];
    return fail(c, m, "%smissing required key '%s'", lead(pre, sizeof pre, where), key);
}

/* ---- scalars ----------------------------------------------------------- */

/* Numbers must use the whole scalar ("1e-3", not "1e-3x"), be finite, and
 * be decimal: strtod's hex floats are not YAML numbers. */
static int parse_double(const char *s, double *out)
{
    if (!s || !*s || isspace((unsigned char)*s) || strpbrk(s, "xX")) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int parse_long(const char *s, long long *out)
{
    if (!s || !*s || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

static int get_number(const ctx *c, yaml_node_t *n, const char *where, double *out)
{
    if (parse_double(text_of(n), out) != 0)
        return fail(c, n, "%s: expected a number, got %s", where, DESCRIBE(n));
    return HPO_OK;
}

/* An integer usable as a double (|v| <= 2^53), for int parameters. */
static int get_exact_int(const ctx *c, yaml_node_t *n, const char *where, double *out)
{
    long long v;
    if (parse_long(text_of(n), &v) != 0 || llabs(v) > (long long)MAX_EXACT_INT)
        return fail(c, n, "%s: expected an integer, got %s", where, DESCRIBE(n));
    *out = (double)v;
    return HPO_OK;
}

/* An integer in [lo, hi]; text that is no integer is quoted in the message,
 * an integer out of range is shown as written. */
static int get_long(const ctx *c, yaml_node_t *n, const char *where, long long lo, long long hi,
                    long long *out)
{
    char range[80];
    if (hi == LLONG_MAX) snprintf(range, sizeof range, ">= %lld", lo);
    else snprintf(range, sizeof range, "in [%lld, %lld]", lo, hi);
    long long v;
    if (parse_long(text_of(n), &v) != 0)
        return fail(c, n, "%s: expected an integer %s, got %s", where, range, DESCRIBE(n));
    if (v < lo || v > hi)
        return fail(c, n, "%s: expected an integer %s, got %s", where, range, text_of(n));
    *out = v;
    return HPO_OK;
}

static int get_int(const ctx *c, yaml_node_t *n, const char *where, int lo, int *out)
{
    long long v = 0;
    int rc = get_long(c, n, where, lo, LLONG_MAX, &v);
    if (rc == HPO_OK && v > INT_MAX) rc = fail(c, n, "%s: %s is too large (at most %d)", where, text_of(n), INT_MAX);
    if (rc == HPO_OK) *out = (int)v;
    return rc;
}

/* A number > lo (strictly: fidelity.min, eta, max_hours). */
static int get_above(const ctx *c, yaml_node_t *n, const char *where, double lo, double *out)
{
    char b[40];
    double v;
    if (parse_double(text_of(n), &v) != 0)
        return fail(c, n, "%s: expected a number > %s, got %s", where, fmt_num(b, lo), DESCRIBE(n));
    if (!(v > lo))
        return fail(c, n, "%s: expected a number > %s, got %s", where, fmt_num(b, lo), text_of(n));
    *out = v;
    return HPO_OK;
}

/* YAML 1.1 booleans, the spellings people actually write. */
static int get_bool(const ctx *c, yaml_node_t *n, const char *where, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL};
    const char *t = text_of(n);
    for (int i = 0; t && yes[i]; i++)
        if (!strcmp(t, yes[i])) return *out = 1, HPO_OK;
    for (int i = 0; t && no[i]; i++)
        if (!strcmp(t, no[i])) return *out = 0, HPO_OK;
    return fail(c, n, "%s: expected true or false, got %s", where, DESCRIBE(n));
}

/* One of `names` (NULL-terminated); its index in *out. */
static int get_enum(const ctx *c, yaml_node_t *n, const char *where, const char *const *names, int *out)
{
    const char *t = text_of(n);
    int count = count_list(names);
    for (int i = 0; t && i < count; i++)
        if (!strcmp(t, names[i])) return *out = i, HPO_OK;
    char list[200];
    size_t len = 0;
    list[0] = '\0';
    for (int i = 0; i < count; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i == 0 ? "" : i == count - 1 ? " or " : ", ", names[i]);
    return fail(c, n, "%s: expected %s, got %s", where, list, DESCRIBE(n));
}

static int is_ident(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (s++; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

/* ---- paths ------------------------------------------------------------- */

/* An absolute path with "." and "x/.." removed lexically (symlinks are not
 * resolved: the path is for messages and chdir, both fine with that). */
static char *normalized(const char *abs)
{
    size_t o = 0;
    char *out = xmalloc(strlen(abs) + 2);
    for (const char *p = abs; *p;) {
        while (*p == '/') p++;
        const char *e = p;
        while (*e && *e != '/') e++;
        size_t n = (size_t)(e - p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p = e;
    }
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    return out;
}

/* `rel` taken from directory `dir` (absolute), normalized. */
static char *resolve(const char *dir, const char *rel)
{
    char *joined = rel[0] == '/' ? xstrdup(rel) : path_join(dir, rel);
    char *abs = normalized(joined);
    free(joined);
    return abs;
}

/* The spec's directory, absolute. */
static char *spec_dir(const char *path)
{
    char *d = dir_of(path), *a = absolute_path(d);
    char *n = normalized(a);
    free(d);
    free(a);
    return n;
}

/* ---- name, command, workdir, seed ---------------------------------------- */

static int parse_name(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    const char *t = text_of(v);
    /* ... starting with a letter, digit or '_': "-rf" and "--help" would
     * read as options, "..." as a path trick */
    int ok = t != NULL && (isalnum((unsigned char)t[0]) || t[0] == '_');
    for (const char *p = t; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-';
    /* it names the experiment's directory (hpo-runs/<name>), hence strict */
    if (!ok)
        return fail(c, v, "name: expected letters, digits, '_', '.' or '-', starting with a letter, digit "
                    "or '_' (it names the experiment's directory), got %s", DESCRIBE(v));
    s->name = xstrdup(t);
    return HPO_OK;
}

static void push_arg(hpo_spec *s, char *arg)
{
    /* argv stays NULL-terminated, ready for execvp after substitution */
    s->argv = xrealloc(s->argv, sizeof(char *) * (size_t)(s->argc + 2));
    s->argv[s->argc++] = arg;
    s->argv[s->argc] = NULL;
}

/*
 * Split a command string into words without a shell: whitespace separates
 * words; '...' quotes literally; "..." quotes with \" and \\ as escapes
 * (other backslashes stay, so "C:\dir" survives); outside quotes a
 * backslash escapes the next character.  Returns NULL or the problem.
 */
static const char *split_command(hpo_spec *s, const char *text)
{
    char *word = xmalloc(strlen(text) + 1);
    size_t len = 0;
    int in_word = 0;
    const char *problem = NULL;
    for (const char *p = text;; p++) {
        if (!*p || isspace((unsigned char)*p)) {
            if (in_word) push_arg(s, xstrndup(word, len));
            in_word = 0, len = 0;
            if (!*p) break;
            continue;
        }
        in_word = 1;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++) word[len++] = *p;
            if (!*p) { problem = "unterminated ' quote"; break; }
        } else if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
                word[len++] = *p;
            }
            if (!*p) { problem = "unterminated \" quote"; break; }
        } else if (*p == '\\') {
            if (!p[1]) { problem = "trailing backslash"; break; }
            word[len++] = *++p;
        } else {
            word[len++] = *p;
        }
    }
    free(word);
    return problem;
}

static int parse_command(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    c->command = v;
    if (v->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = v->data.sequence.items.start;
        if (it == v->data.sequence.items.top)
            return fail(c, v, "command: expected a non-empty list of strings, or one string");
        for (int i = 0; it < v->data.sequence.items.top; it++, i++) {
            yaml_node_t *item = node(c, *it);
            /* numbers stay as written: "1e-3" must not become "0.001" */
            const char *t = text_of(item);
            if (!t) return fail(c, item, "command[%d]: expected a string, got %s", i, DESCRIBE(item));
            push_arg(s, xstrdup(t));
        }
    } else {
        const char *t = text_of(v);
        if (!t)
            return fail(c, v, "command: expected a list of strings or one string, got %s", DESCRIBE(v));
        const char *problem = split_command(s, t);
        if (problem) return fail(c, v, "command: %s in %s", problem, DESCRIBE(v));
        if (s->argc == 0) return fail(c, v, "command: expected a program to run, got %s", DESCRIBE(v));
    }
    if (!s->argv[0][0]) return fail(c, v, "command: the program name is empty");
    return HPO_OK;
}

static int parse_workdir(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    const char *t = text_of(v);
    if (!t) return fail(c, v, "workdir: expected a directory path, got %s", DESCRIBE(v));
    s->workdir = resolve(s->dir, t);
    return HPO_OK;
}

static int parse_seed(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    const char *t = text_of(v);
    char *end = NULL;
    errno = 0;
    unsigned long long seed = t && isdigit((unsigned char)*t) ? strtoull(t, &end, 10) : 0;
    if (!end || *end || errno == ERANGE) {
        long long as_int;   /* a negative number is shown as written, other text quoted */
        return fail(c, v, "seed: expected an integer >= 0, got %s",
                    parse_long(t, &as_int) == 0 ? t : DESCRIBE(v));
    }
    s->seed = (uint64_t)seed;
    return HPO_OK;
}

/* How often a failed trial's config runs again before its failure counts. */
static int parse_retries(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    long long x = 0;
    int rc = get_long(c, v, "retries", 0, 100, &x);
    if (rc == HPO_OK) s->retries = (int)x, s->retries_given = 1;
    return rc;
}

int spec_max_attempts(const hpo_spec *s, int infrastructure)
{
    if (infrastructure && !s->retries_given) return HPO_INFRA_RETRIES_DEFAULT + 1;
    return s->retries + 1;
}

/* ---- the space ----------------------------------------------------------- */

static const char *const param_keys[] = {"type", "low", "high", "log", "values", "role",
                                         "grid_points", "when", NULL};
static const char *const param_types[] = {"float", "int", "choice", NULL};
static const char *const roles[] = {"nuisance", "scientific", "fixed", NULL};

/* Index of `name` among the first n parameters, or -1. */
static int find_param(const hpo_space *sp, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(sp->params[i].name, name) == 0) return i;
    return -1;
}

/* Append a parameter (zeroed, unconditional) and count it at once, so that
 * space_free releases whatever it holds if the spec turns out invalid. */
static hpo_param *new_param(hpo_space *sp, const char *name, const yaml_node_t *at)
{
    sp->params = xrealloc(sp->params, sizeof(hpo_param) * (size_t)(sp->n + 1));
    hpo_param *p = &sp->params[sp->n++];
    memset(p, 0, sizeof *p);
    p->name = xstrdup(name);
    p->cond.parent = -1;
    p->line = (int)at->start_mark.line + 1;
    p->col = (int)at->start_mark.column + 1;
    return p;
}

/* low < high, both numbers (integers for int); log scale needs low > 0. */
static int parse_bounds(ctx *c, hpo_param *p, yaml_node_t *m, const char *where)
{
    char key[300];
    yaml_node_t *low = lookup(c, m, "low", NULL), *high = lookup(c, m, "high", NULL), *v;
    if (!low) return missing(c, m, where, "low");
    if (!high) return missing(c, m, where, "high");
    int (*get)(const ctx *, yaml_node_t *, const char *, double *) =
        p->type == HPO_PARAM_INT ? get_exact_int : get_number;
    int rc;
    if ((rc = get(c, low, dotted(key, sizeof key, where, "low"), &p->low))) return rc;
    if ((rc = get(c, high, dotted(key, sizeof key, where, "high"), &p->high))) return rc;
    /* numbers in messages as the user wrote them */
    if (!(p->low < p->high))
        return fail(c, m, "%s: low (%s) must be less than high (%s)", where, text_of(low), text_of(high));
    if ((v = lookup(c, m, "log", NULL)) && (rc = get_bool(c, v, dotted(key, sizeof key, where, "log"), &p->log)))
        return rc;
    if (p->log && !(p->low > 0))
        return fail(c, m, "%s: log scale needs low > 0 (got %s)", where, text_of(low));
    if ((v = lookup(c, m, "grid_points", NULL)) &&
        (rc = get_int(c, v, dotted(key, sizeof key, where, "grid_points"), 1, &p->grid_points)))
        return rc;
    return HPO_OK;
}

static int by_choice(const void *a, const void *b, void *choices)
{
    char **v = choices;
    int x = *(const int *)a, y = *(const int *)b;
    int c = strcmp(v[x], v[y]);
    return c ? c : (x > y) - (x < y);
}

/* A choice's values: a non-empty list of distinct scalars, kept as written. */
static int parse_choices(ctx *c, hpo_param *p, yaml_node_t *m, const char *where)
{
    char key[300];
    yaml_node_t *vals = lookup(c, m, "values", NULL);
    if (!vals) return missing(c, m, where, "values");
    dotted(key, sizeof key, where, "values");
    if (vals->type != YAML_SEQUENCE_NODE || vals->data.sequence.items.start == vals->data.sequence.items.top)
        return fail(c, vals, "%s: expected a non-empty list, got %s", key,
                    vals->type == YAML_SEQUENCE_NODE ? "[]" : DESCRIBE(vals));
    int n = (int)(vals->data.sequence.items.top - vals->data.sequence.items.start);
    p->choices = xcalloc((size_t)n, sizeof(char *));
    for (int i = 0; i < n; i++) {
        yaml_node_t *item = node(c, vals->data.sequence.items.start[i]);
        const char *t = text_of(item);
        if (!t) return fail(c, item, "%s[%d]: expected a scalar value, got %s", key, i, DESCRIBE(item));
        p->choices[p->n_choices++] = xstrdup(t);
    }
    /* Duplicates by sorting (n log n: lists of 100,000 values are fine);
     * the error names the first value, in list order, seen before. */
    int *order = xcalloc((size_t)n, sizeof *order), first_dup = -1, first_of = -1;
    for (int i = 0; i < n; i++) order[i] = i;
    qsort_r(order, (size_t)n, sizeof *order, by_choice, p->choices);
    for (int k = 1, g = 0; k < n; k++) {   /* g: where the run of equal values began */
        if (strcmp(p->choices[order[k - 1]], p->choices[order[k]]) != 0) g = k;
        else if (first_dup < 0 || order[k] < first_dup) {
            first_dup = order[k];
            first_of = order[g];   /* the run is in list order: order[g] came first */
        }
    }
    free(order);
    if (first_dup >= 0)
        return fail(c, node(c, vals->data.sequence.items.start[first_dup]),
                    "%s[%d]: duplicate value '%s' (same as values[%d])", key, first_dup, p->choices[first_dup],
                    first_of);
    return HPO_OK;
}

/* One value of a condition: a quoted string, or bare text up to a
 * delimiter in `stops`, trimmed.  Advances *pp; NULL if there is none. */
static char *when_value(const char **pp, const char *stops)
{
    const char *p = *pp;
    while (isspace((unsigned char)*p)) p++;
    char *out = NULL;
    if (*p == '\'' || *p == '"') {
        const char *end = strchr(p + 1, *p);
        if (!end) return NULL;
        out = xstrndup(p + 1, (size_t)(end - p - 1));
        p = end + 1;
    } else {
        const char *e = p;
        while (*e && !strchr(stops, *e)) e++;
        const char *t = e;
        while (t > p && isspace((unsigned char)t[-1])) t--;
        if (t == p) return NULL;
        out = xstrndup(p, (size_t)(t - p));
        p = e;
    }
    while (isspace((unsigned char)*p)) p++;
    *pp = p;
    return out;
}

/* Turn one condition value into what a configuration holds for the
 * parent: a choice's index, or the number (in range, integral for int). */
static int when_match_value(ctx *c, yaml_node_t *at, const char *where, const hpo_param *parent,
                            const char *text, double *out)
{
    char b1[40], b2[40], list[600];
    if (parent->type == HPO_PARAM_CHOICE) {
        int k = space_choice_index(parent, text);
        if (k < 0)
            return fail(c, at, "%s: '%s' is not a value of '%s' (valid: %s)", where, text, parent->name,
                        join_list(list, sizeof list, (const char *const *)parent->choices,
                                  parent->n_choices, ", "));
        *out = k;
        return HPO_OK;
    }
    double v;
    if (parse_double(text, &v) != 0)
        return fail(c, at, "%s: expected a number for '%s', got \"%s\"", where, parent->name, text);
    if (parent->type == HPO_PARAM_INT && v != floor(v))
        return fail(c, at, "%s: '%s' is an int parameter, got %s", where, parent->name, text);
    if (v < parent->low || v > parent->high)
        return fail(c, at, "%s: %s is outside the range of '%s' [%s, %s]", where, text, parent->name,
                    fmt_num(b1, parent->low), fmt_num(b2, parent->high));
    *out = v;
    return HPO_OK;
}

/* The parent a condition names: one declared earlier (so one pass in
 * declaration order decides activity, space.h).  Returns its index or -1
 * after recording the error. */
static int when_parent(ctx *c, yaml_node_t *at, const char *where, const hpo_space *sp, int self,
                       yaml_node_t *space_map, const char *name)
{
    int j = find_param(sp, self, name);
    if (j >= 0) return j;
    const char *me = sp->params[self].name;
    if (strcmp(name, me) == 0) {
        fail(c, at, "%s: a condition cannot test its own parameter '%s'", where, name);
        return -1;
    }
    /* declared later, or not at all? the space's own keys tell */
    int n = (int)(space_map->data.mapping.pairs.top - space_map->data.mapping.pairs.start);
    const char **names = xcalloc((size_t)n, sizeof(char *));
    int later = 0;
    for (int i = 0; i < n; i++) {
        const char *k = text_of(node(c, space_map->data.mapping.pairs.start[i].key));
        names[i] = k && strcmp(k, me) != 0 ? k : NULL;
        if (names[i] && strcmp(k, name) == 0) later = 1;
    }
    char hint[600], list[500];
    if (later)
        fail(c, at, "%s: parameter '%s' must be declared before '%s'", where, name, me);
    else if (suggest(name, names, n))
        fail(c, at, "%s: unknown parameter '%s'%s", where, name, did_you_mean(hint, sizeof hint, name, names, n));
    else if (self == 0)
        fail(c, at, "%s: unknown parameter '%s' (no parameter is declared before '%s')", where, name, me);
    else {
        const char **before = xcalloc((size_t)self, sizeof(char *));
        for (int i = 0; i < self; i++) before[i] = sp->params[i].name;
        fail(c, at, "%s: unknown parameter '%s' (declared before it: %s)", where, name,
             join_list(list, sizeof list, before, self, ", "));
        free(before);
    }
    free(names);
    return -1;
}

/* A condition's source text, split up but not yet checked against the
 * space: the parent's name, != / not in, and the values as text. */
typedef struct when_parts {
    char *name;
    int negate;
    int n;
    char **values;
} when_parts;

static void when_parts_free(when_parts *w)
{
    for (int i = 0; i < w->n; i++) free(w->values[i]);
    free(w->values);
    free(w->name);
}

static void when_add_value(when_parts *w, char *value)
{
    w->values = xrealloc(w->values, sizeof(char *) * (size_t)(w->n + 1));
    w->values[w->n++] = value;
}

/* The operator after the parent's name; sets *list for in / not in.
 * Returns the text after it, or NULL if there is no known operator. */
static const char *when_operator(const char *s, int *negate, int *list)
{
    *negate = *list = 0;
    if (!strncmp(s, "==", 2)) return s + 2;
    if (!strncmp(s, "!=", 2)) return *negate = 1, s + 2;
    if (!strncmp(s, "not", 3) && isspace((unsigned char)s[3])) {
        for (s += 3; isspace((unsigned char)*s);) s++;
        *negate = 1;
    }
    if (!strncmp(s, "in", 2) && (isspace((unsigned char)s[2]) || s[2] == '[')) return *list = 1, s + 2;
    return NULL;
}

/* `[A, B, ...]` up to the end of the text. */
static int when_list(const char *s, when_parts *w)
{
    while (isspace((unsigned char)*s)) s++;
    if (*s++ != '[') return 0;
    for (;;) {
        char *value = when_value(&s, ",]");
        if (!value) return 0;
        when_add_value(w, value);
        if (*s == ']') break;
        if (*s++ != ',') return 0;
    }
    for (s++; isspace((unsigned char)*s);) s++;
    return !*s;
}

/*
 * Split `when: "P == V"`, "P != V", "P in [A, B]" or "P not in [A, B]".
 * The grammar is small enough that a hand parser gives better messages
 * than a general expression language would, and it is all the planner
 * evaluates.  Returns 1 if the text has that shape.
 */
static int when_split(const char *text, when_parts *w)
{
    const char *s = text, *start;
    while (isspace((unsigned char)*s)) s++;
    for (start = s; isalnum((unsigned char)*s) || *s == '_';) s++;
    w->name = xstrndup(start, (size_t)(s - start));
    while (isspace((unsigned char)*s)) s++;
    int list;
    if (!is_ident(w->name) || !(s = when_operator(s, &w->negate, &list))) return 0;
    if (list) return when_list(s, w);
    char *value = when_value(&s, "");
    if (!value) return 0;
    when_add_value(w, value);
    return !*s;
}

/* `when:` of parameter `self`: fills its hpo_condition. */
static int parse_when(ctx *c, hpo_space *sp, int self, yaml_node_t *v, const char *where, yaml_node_t *space_map)
{
    hpo_param *p = &sp->params[self];
    const char *text = text_of(v);
    if (!text) return fail(c, v, "%s: expected a condition like \"optimizer == sgd\", got %s", where, DESCRIBE(v));
    p->when = xstrdup(text);

    when_parts w = {0};
    int rc = HPO_OK;
    if (!when_split(text, &w)) {
        rc = fail(c, v, "%s: expected \"P == V\", \"P != V\", \"P in [A, B]\" or \"P not in [A, B]\", "
                  "got %s", where, DESCRIBE(v));
    } else {
        int parent = when_parent(c, v, where, sp, self, space_map, w.name);
        if (parent < 0) rc = HPO_ESPEC;
        p->cond.values = xcalloc((size_t)w.n, sizeof(double));
        for (int i = 0; i < w.n && rc == HPO_OK; i++)
            rc = when_match_value(c, v, where, &sp->params[parent], w.values[i], &p->cond.values[i]);
        if (rc == HPO_OK) {
            p->cond.parent = parent;
            p->cond.negate = w.negate;
            p->cond.n_values = w.n;
        }
    }
    when_parts_free(&w);
    return rc;
}

/* One `name: {type: ..., ...}` of the space; it is parameter `self`. */
static int parse_param(ctx *c, hpo_space *sp, yaml_node_t *k, yaml_node_t *m, yaml_node_t *space_map)
{
    char where[300], key[300];
    const char *name = key_text(k);
    dotted(where, sizeof where, "space", name);
    if (!is_ident(name))
        return fail(c, k, "space: invalid parameter name '%s' (letters, digits and '_', not starting "
                    "with a digit)", name);
    int self = sp->n, rc, type;
    hpo_param *p = new_param(sp, name, k);
    if ((rc = expect_map(c, m, where, "{type: float, low: 0, high: 1}"))) return rc;
    if ((rc = check_keys(c, m, where, "key", param_keys))) return rc;
    yaml_node_t *v;
    if (!(v = lookup(c, m, "type", NULL))) return missing(c, m, where, "type");
    if ((rc = get_enum(c, v, dotted(key, sizeof key, where, "type"), param_types, &type))) return rc;
    p->type = (hpo_param_type)type;

    /* keys of the other kind of parameter are mistakes, not options */
    static const char *const numeric_only[] = {"low", "high", "log", "grid_points", NULL};
    for (int i = 0; numeric_only[i]; i++) {
        yaml_node_t *kn = NULL;
        if (p->type == HPO_PARAM_CHOICE && lookup(c, m, numeric_only[i], &kn))
            return fail(c, kn, "%s: '%s' applies to float and int parameters, not choice", where, numeric_only[i]);
    }
    yaml_node_t *kn = NULL;
    if (p->type != HPO_PARAM_CHOICE && lookup(c, m, "values", &kn))
        return fail(c, kn, "%s: 'values' applies to choice parameters, not %s", where, param_types[type]);

    rc = p->type == HPO_PARAM_CHOICE ? parse_choices(c, p, m, where) : parse_bounds(c, p, m, where);
    if (rc) return rc;
    int role = 0;
    if ((v = lookup(c, m, "role", NULL)) && (rc = get_enum(c, v, dotted(key, sizeof key, where, "role"), roles, &role)))
        return rc;
    p->role = (hpo_param_role)role;
    if ((v = lookup(c, m, "when", NULL)))
        return parse_when(c, sp, self, v, dotted(key, sizeof key, where, "when"), space_map);
    return HPO_OK;
}

static const char *const paddle_keys[] = {"name", "init_value", "type", "lower_than", "greater_than", NULL};
static const char *const paddle_types[] = {"float", "int", NULL};

/* One entry of a PaddleHub param_list:
 * {name, init_value, type: float|int, greater_than (low), lower_than (high)}. */
static int parse_paddle_param(ctx *c, hpo_space *sp, yaml_node_t *m, int index)
{
    char where[64], key[100];
    snprintf(where, sizeof where, "param_list[%d]", index);
    int rc, type;
    if ((rc = expect_map(c, m, where, "{name: lr, type: float, greater_than: 0.0001, lower_than: 0.1}"))) return rc;
    if ((rc = check_keys(c, m, where, "key", paddle_keys))) return rc;
    for (int i = 0; paddle_keys[i]; i++)
        if (i != 1 && !lookup(c, m, paddle_keys[i], NULL)) return missing(c, m, where, paddle_keys[i]);

    yaml_node_t *nv = lookup(c, m, "name", NULL);
    const char *name = text_of(nv);
    if (!name || !is_ident(name))
        return fail(c, nv, "%s.name: expected a parameter name (letters, digits and '_', not starting "
                    "with a digit), got %s", where, DESCRIBE(nv));
    int dup = find_param(sp, sp->n, name);
    if (dup >= 0)
        return fail(c, nv, "param_list: duplicate parameter '%s' (first at line %d)", name, sp->params[dup].line);
    hpo_param *p = new_param(sp, name, m);
    if ((rc = get_enum(c, lookup(c, m, "type", NULL), dotted(key, sizeof key, where, "type"), paddle_types, &type)))
        return rc;
    p->type = type ? HPO_PARAM_INT : HPO_PARAM_FLOAT;
    int (*get)(const ctx *, yaml_node_t *, const char *, double *) = type ? get_exact_int : get_number;
    if ((rc = get(c, lookup(c, m, "greater_than", NULL), dotted(key, sizeof key, where, "greater_than"), &p->low)))
        return rc;
    if ((rc = get(c, lookup(c, m, "lower_than", NULL), dotted(key, sizeof key, where, "lower_than"), &p->high)))
        return rc;
    if (!(p->low < p->high))
        return fail(c, m, "%s: greater_than (%s) must be less than lower_than (%s)", where,
                    text_of(lookup(c, m, "greater_than", NULL)), text_of(lookup(c, m, "lower_than", NULL)));
    yaml_node_t *iv = lookup(c, m, "init_value", NULL);
    if (iv) {
        if ((rc = get(c, iv, dotted(key, sizeof key, where, "init_value"), &p->init))) return rc;
        if (p->init < p->low || p->init > p->high)
            return fail(c, iv, "%s.init_value: %s is outside [%s, %s] (greater_than, lower_than)", where,
                        text_of(iv), text_of(lookup(c, m, "greater_than", NULL)),
                        text_of(lookup(c, m, "lower_than", NULL)));
        p->has_init = 1;
    }
    return HPO_OK;
}

static int parse_param_list(ctx *c, hpo_space *sp, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top)
        return fail(c, v, "param_list: expected a non-empty list of parameters, got %s",
                    v->type == YAML_SEQUENCE_NODE ? "[]" : DESCRIBE(v));
    int i = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++) {
        int rc = parse_paddle_param(c, sp, node(c, *it), i);
        if (rc) return rc;
    }
    return HPO_OK;
}

static const char *const paddle_top_keys[] = {"param_list", NULL};

/* Forward: the document loader (below) is shared with the spec itself. */
static int load_document(const char *path, const char *yaml, size_t len, yaml_document_t *doc);

/* `space: hparam.yaml`: a PaddleHub file, relative to the spec.  Messages
 * about its contents name that file, so users fix the right one. */
static int parse_space_file(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    const char *rel = text_of(v);
    char *dir = dir_of(c->path);
    char *path = c->space_override ? xstrdup(c->space_override)
               : rel[0] == '/' || strcmp(dir, ".") == 0 ? xstrdup(rel) : path_join(dir, rel);
    free(dir);
    char *bytes = NULL;
    size_t len = 0;
    int rc = read_file(path, &bytes, &len);
    if (rc == HPO_OK) {   /* kept, to be frozen with the spec */
        free(s->space_file);
        free(s->space_yaml);
        s->space_file = xstrdup(path);
        s->space_yaml = xstrndup(bytes, len);
        s->space_len = len;
        sha256_hex(bytes, len, s->space_sha256);
    }
    if (rc != HPO_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", hpo_error_last());   /* fail() reuses that buffer */
        free(path);
        return fail(c, v, "space: %s", why);
    }
    yaml_document_t doc;
    rc = load_document(path, bytes, len, &doc);
    if (rc == HPO_OK) {
        ctx sub = {.path = path, .doc = &doc};
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        yaml_node_t *list;
        if (!root || root->type != YAML_MAPPING_NODE)
            rc = fail(&sub, NULL, "expected a mapping with param_list (a PaddleHub hparam.yaml)");
        else if (!(rc = check_keys(&sub, root, "", "key", paddle_top_keys))) {
            if (!(list = lookup(&sub, root, "param_list", NULL))) rc = missing(&sub, root, "", "param_list");
            else rc = parse_param_list(&sub, &s->space, list);
        }
        yaml_document_delete(&doc);
    }
    free(bytes);
    free(path);
    return rc;
}

static int parse_space(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    if (text_of(v)) return parse_space_file(c, s, v);
    if (v->type != YAML_MAPPING_NODE)
        return fail(c, v, "space: expected a mapping of parameters (or the path of a PaddleHub "
                    "hparam.yaml), got %s", DESCRIBE(v));
    if (v->data.mapping.pairs.start == v->data.mapping.pairs.top)
        return fail(c, v, "space: expected at least one parameter");
    int rc = check_keys(c, v, "space", "parameter", NULL);
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; rc == HPO_OK && p < v->data.mapping.pairs.top; p++)
        rc = parse_param(c, &s->space, node(c, p->key), node(c, p->value), v);
    return rc;
}

static int parse_param_list_top(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    return parse_param_list(c, &s->space, v);
}

/* ---- objective, fidelity, algorithm ----------------------------------- */

static const char *const objective_keys[] = {"metric", "mode", "target", "reduce", NULL};

/* Metric names as trials print them (`val_acc=0.91`): core/metric_name.h. */
static int valid_metric(const char *m)
{
    return metric_name_ok(m, strlen(m));
}

static int parse_objective(ctx *c, hpo_spec *s, yaml_node_t *m)
{
    static const char *const modes[] = {"min", "max", NULL};
    static const char *const reduces[] = {"last", "best", NULL};
    int rc;
    if ((rc = expect_map(c, m, "objective", "{metric: val_loss, mode: min}"))) return rc;
    if ((rc = check_keys(c, m, "objective", "key", objective_keys))) return rc;
    yaml_node_t *v = lookup(c, m, "metric", NULL);
    if (!v) return missing(c, m, "objective", "metric");
    if (!text_of(v) || !valid_metric(text_of(v)))
        return fail(c, v, "objective.metric: expected a metric name (" HPO_METRIC_GRAMMAR "), got %s",
                    DESCRIBE(v));
    s->metric = xstrdup(text_of(v));
    if ((v = lookup(c, m, "mode", NULL)) && (rc = get_enum(c, v, "objective.mode", modes, &s->maximize)))
        return rc;
    if ((v = lookup(c, m, "target", NULL))) {
        if ((rc = get_number(c, v, "objective.target", &s->target))) return rc;
        s->has_target = 1;
    }
    if ((v = lookup(c, m, "reduce", NULL)) && (rc = get_enum(c, v, "objective.reduce", reduces, &s->reduce_best)))
        return rc;
    return HPO_OK;
}

static const char *const early_stop_keys[] = {"patience_rounds", "median", "median_min_trials", NULL};

/* early_stop: {patience_rounds: 5, median: true, median_min_trials: 3} */
static int parse_early_stop(ctx *c, hpo_spec *s, yaml_node_t *m)
{
    int rc;
    yaml_node_t *v;
    if ((rc = expect_map(c, m, "early_stop", "{patience_rounds: 5, median: true}"))) return rc;
    if ((rc = check_keys(c, m, "early_stop", "key", early_stop_keys))) return rc;
    if ((v = lookup(c, m, "patience_rounds", NULL)) &&
        (rc = get_int(c, v, "early_stop.patience_rounds", 1, &s->patience_rounds)))
        return rc;
    if ((v = lookup(c, m, "median", NULL)) && (rc = get_bool(c, v, "early_stop.median", &s->median_stop)))
        return rc;
    if ((v = lookup(c, m, "median_min_trials", NULL)) &&
        (rc = get_int(c, v, "early_stop.median_min_trials", 1, &s->median_min_trials)))
        return rc;
    return HPO_OK;
}

/* keep_checkpoints: best (default) | all */
static int parse_keep_checkpoints(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    static const char *const kinds[] = {"best", "all", NULL};
    return get_enum(c, v, "keep_checkpoints", kinds, &s->keep_all_checkpoints);
}

static const char *const fidelity_keys[] = {"param", "min", "max", "eta", NULL};

static int parse_fidelity(ctx *c, hpo_spec *s, yaml_node_t *m)
{
    int rc;
    if ((rc = expect_map(c, m, "fidelity", "{param: epochs, min: 1, max: 81, eta: 3}"))) return rc;
    if ((rc = check_keys(c, m, "fidelity", "key", fidelity_keys))) return rc;
    for (int i = 0; i < 3; i++)
        if (!lookup(c, m, fidelity_keys[i], NULL)) return missing(c, m, "fidelity", fidelity_keys[i]);
    yaml_node_t *v = lookup(c, m, "param", NULL);
    if (!text_of(v) || !is_ident(text_of(v)))
        return fail(c, v, "fidelity.param: expected a name (letters, digits and '_', not starting with "
                    "a digit), got %s", DESCRIBE(v));
    c->fidelity_param = v;
    s->fidelity.param = xstrdup(text_of(v));
    if ((rc = get_above(c, lookup(c, m, "min", NULL), "fidelity.min", 0, &s->fidelity.min))) return rc;
    if ((rc = get_number(c, lookup(c, m, "max", NULL), "fidelity.max", &s->fidelity.max))) return rc;
    if (!(s->fidelity.max > s->fidelity.min))
        return fail(c, lookup(c, m, "max", NULL), "fidelity: max (%s) must be greater than min (%s)",
                    text_of(lookup(c, m, "max", NULL)), text_of(lookup(c, m, "min", NULL)));
    s->fidelity.eta = 3;
    if ((v = lookup(c, m, "eta", NULL)) && (rc = get_above(c, v, "fidelity.eta", 1, &s->fidelity.eta)))
        return rc;
    s->fidelity.enabled = 1;
    return HPO_OK;
}

static const char *const algorithms[] = {"random", "grid", "sobol", "sh", "hyperband", "tpe",
                                         "bohb", "asha", "cmaes", "hazero", "pshe2", "pbt", "gp", "auto", NULL};

static int set_algorithm(ctx *c, hpo_spec *s, yaml_node_t *v, const char *where)
{
    const char *t = text_of(v);
    int n = count_list(algorithms);
    for (int i = 0; t && i < n; i++)
        if (!strcmp(t, algorithms[i])) {
            free(s->algorithm);
            s->algorithm = xstrdup(t);
            s->algorithm_line = (int)v->start_mark.line + 1;
            s->algorithm_col = (int)v->start_mark.column + 1;
            return HPO_OK;
        }
    char hint[300], list[300];
    if (t && suggest(t, algorithms, n)) did_you_mean(hint, sizeof hint, t, algorithms, n);
    else snprintf(hint, sizeof hint, " (expected one of: %s)", join_list(list, sizeof list, algorithms, n, ", "));
    if (!t) return fail(c, v, "%s: expected an algorithm name, got %s%s", where, DESCRIBE(v), hint);
    return fail(c, v, "%s: unknown algorithm '%s'%s", where, t, hint);
}

/* `algorithm: {name: x, k: v...}`: the other keys are the algorithm's
 * options, kept as text in order; the optimizer validates them
 * (spec_option_long...), since only it knows which it takes.  A bare
 * `algorithm: tpe` is accepted as the name alone. */
static int parse_algorithm(ctx *c, hpo_spec *s, yaml_node_t *m)
{
    if (text_of(m)) return set_algorithm(c, s, m, "algorithm");
    int rc;
    if ((rc = expect_map(c, m, "algorithm", "{name: tpe}"))) return rc;
    if ((rc = check_keys(c, m, "algorithm", "key", NULL))) return rc;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        char where[300];
        dotted(where, sizeof where, "algorithm", key_text(k));
        if (strcmp(key_text(k), "name") == 0) {
            if ((rc = set_algorithm(c, s, v, where))) return rc;
            continue;
        }
        if (!text_of(v)) return fail(c, v, "%s: expected a scalar value, got %s", where, DESCRIBE(v));
        s->options = xrealloc(s->options, sizeof(hpo_option) * (size_t)(s->n_options + 1));
        hpo_option *o = &s->options[s->n_options++];
        o->key = xstrdup(key_text(k));
        o->value = xstrdup(text_of(v));
        o->line = (int)v->start_mark.line + 1;
        o->col = (int)v->start_mark.column + 1;
    }
    return HPO_OK;
}

/* ---- budget, parallel, slurm ------------------------------------------- */

static const char *const budget_keys[] = {"max_trials", "max_rounds", "max_failed", "max_hours", NULL};

static int parse_budget(ctx *c, hpo_spec *s, yaml_node_t *m)
{
    int rc;
    if ((rc = expect_map(c, m, "budget", "{max_trials: 100}"))) return rc;
    if ((rc = check_keys(c, m, "budget", "key", budget_keys))) return rc;
    long *fields[] = {&s->max_trials, &s->max_rounds, &s->max_failed};
    const long long lows[] = {1, 1, 0};
    for (int i = 0; i < 3; i++) {
        yaml_node_t *v = lookup(c, m, budget_keys[i], NULL);
        char where[64];
        long long x = 0;
        snprintf(where, sizeof where, "budget.%s", budget_keys[i]);
        if (!v) continue;
        if ((rc = get_long(c, v, where, lows[i], LONG_MAX, &x))) return rc;
        *fields[i] = (long)x;
        if (i == 0) s->max_trials_line = (int)v->start_mark.line + 1, s->max_trials_col = (int)v->start_mark.column + 1;
    }
    yaml_node_t *v = lookup(c, m, "max_hours", NULL);
    if (v && (rc = get_above(c, v, "budget.max_hours", 0, &s->max_hours))) return rc;
    return HPO_OK;
}

static const char *const parallel_keys[] = {"mode", "round_size", "max_concurrent", "trials_per_gpu", NULL};
/* In the order of hpo_sweep_mode (spec.h), after its DEFAULT. */
static const char *const parallel_modes[] = {"rounds", "workers", NULL};

static int parse_parallel(ctx *c, hpo_spec *s, yaml_node_t *m)
{
    int rc;
    if ((rc = expect_map(c, m, "parallel", "{round_size: 8, max_concurrent: 4}"))) return rc;
    if ((rc = check_keys(c, m, "parallel", "key", parallel_keys))) return rc;
    yaml_node_t *v;
    if ((v = lookup(c, m, "mode", NULL))) {
        int mode;
        if ((rc = get_enum(c, v, "parallel.mode", parallel_modes, &mode))) return rc;
        s->mode = mode == 0 ? HPO_MODE_ROUNDS : HPO_MODE_WORKERS;
        s->mode_line = (int)v->start_mark.line + 1;
        s->mode_col = (int)v->start_mark.column + 1;
    }
    if ((v = lookup(c, m, "round_size", NULL)) && (rc = get_int(c, v, "parallel.round_size", 1, &s->round_size)))
        return rc;
    if ((v = lookup(c, m, "trials_per_gpu", NULL)) &&
        (rc = get_int(c, v, "parallel.trials_per_gpu", 1, &s->trials_per_gpu)))
        return rc;
    c->trials_per_gpu = v;
    if ((v = lookup(c, m, "max_concurrent", NULL)) &&
        (rc = get_int(c, v, "parallel.max_concurrent", 1, &s->max_concurrent)))
        return rc;
    return HPO_OK;
}

/* All digits, at least one. */
static int all_digits(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* --mem and --time: spec/slurm_units.h, the parser the Slurm backends
 * convert with. */
static int valid_mem(const char *t) { return slurm_mem_parse(t, NULL) == 0; }
static int valid_time(const char *t) { return slurm_time_parse(t, NULL) == 0; }

/* --gres: comma-separated name[:type][:count] with a positive count. */
static int valid_gres(const char *t)
{
    if (!*t) return 0;
    for (const char *item = t;;) {
        size_t len = strcspn(item, ",");
        const char *part = item;
        int parts = 0;
        const char *last = NULL;
        size_t last_len = 0;
        while (part < item + len) {
            size_t pl = strcspn(part, ":,");
            if (pl == 0) return 0;
            for (size_t i = 0; i < pl; i++)
                if (!(isalnum((unsigned char)part[i]) || strchr("_.-", part[i]))) return 0;
            last = part, last_len = pl, parts++;
            part += pl;
            if (*part == ':') {
                part++;
                if (part >= item + len) return 0;   /* trailing ':' */
            }
        }
        if (parts == 0 || parts > 3) return 0;
        if (parts == 3 && !all_digits(last, last_len)) return 0;
        if (parts > 1 && all_digits(last, last_len) && strtol(last, NULL, 10) < 1) return 0;
        if (!isalpha((unsigned char)item[0])) return 0;
        if (!item[len]) return 1;
        item += len + 1;
    }
}

static int valid_signal(const char *t)
{
    static const char *const names[] = {"USR1", "USR2", "TERM", "INT", "HUP", NULL};
    if (!strncmp(t, "SIG", 3)) t += 3;
    for (int i = 0; names[i]; i++)
        if (!strcmp(t, names[i])) return 1;
    return 0;
}

/* Text that goes into the generated sbatch script: one word, no control
 * characters, so it can neither break a line nor split an option. */
static int is_word(const char *t)
{
    if (!*t) return 0;
    for (; *t; t++)
        if ((unsigned char)*t <= ' ' || *t == 0x7f) return 0;
    return 1;
}

static const char *const slurm_keys[] = {"partition", "gres", "cpus_per_task", "mem", "time",
                                         "account", "qos", "signal", "extra", NULL};

static int parse_slurm_extra(ctx *c, hpo_spec *s, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(c, v, "slurm.extra: expected a list of sbatch options like [\"--qos=normal\"], got %s",
                    DESCRIBE(v));
    int i = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++) {
        yaml_node_t *item = node(c, *it);
        const char *t = text_of(item);
        int ok = t && !strncmp(t, "--", 2) && t[2];
        for (const char *p = t; ok && *p; p++) ok = (unsigned char)*p >= ' ';
        if (!ok)
            return fail(c, item, "slurm.extra[%d]: expected an sbatch option starting with \"--\", got %s",
                        i, DESCRIBE(item));
        s->slurm.extra = xrealloc(s->slurm.extra, sizeof(char *) * (size_t)(s->slurm.n_extra + 1));
        s->slurm.extra[s->slurm.n_extra++] = xstrdup(t);
    }
    return HPO_OK;
}

static int parse_slurm(ctx *c, hpo_spec *s, yaml_node_t *m)
{
    int rc;
    if ((rc = expect_map(c, m, "slurm", "{partition: gpu, gres: \"gpu:1\", time: \"01:00:00\"}"))) return rc;
    c->slurm_section = 1;
    if ((rc = check_keys(c, m, "slurm", "key", slurm_keys))) return rc;
    /* The string options, each with its check and what a valid one looks like. */
    static const struct {
        const char *key;
        int (*valid)(const char *);
        const char *expected;
    } opts[] = {
        {"partition", is_word, "a partition name"},
        {"gres", valid_gres, "name[:type]:count like \"gpu:1\" or \"gpu:a100:2\""},
        {"mem", valid_mem, "a size like 16G, 500M or 1024 (digits with an optional K, M, G or T)"},
        {"time", valid_time, "a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)"},
        {"account", is_word, "an account name"},
        {"qos", is_word, "a QOS name"},
        {"signal", valid_signal, "USR1, USR2, TERM, INT or HUP (optionally with SIG prefix)"},
    };
    char **fields[] = {&s->slurm.partition, &s->slurm.gres, &s->slurm.mem, &s->slurm.time,
                       &s->slurm.account, &s->slurm.qos, &s->slurm.signal};
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *key = key_text(node(c, p->key));
        yaml_node_t *v = node(c, p->value);
        if (!strcmp(key, "cpus_per_task")) {
            if ((rc = get_int(c, v, "slurm.cpus_per_task", 1, &s->slurm.cpus_per_task))) return rc;
            continue;
        }
        if (!strcmp(key, "extra")) {
            if ((rc = parse_slurm_extra(c, s, v))) return rc;
            continue;
        }
        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
            if (strcmp(key, opts[i].key) != 0) continue;
            const char *t = text_of(v);
            if (t && !strcmp(key, "time") && slurm_time_parse(t, NULL) == HPO_SLURM_UNIT_RANGE)
                return fail(c, v, "slurm.time: %s is too long (at most %d minutes)", DESCRIBE(v),
                            HPO_SLURM_TIME_MAX_MIN);
            if (t && !strcmp(key, "mem") && slurm_mem_parse(t, NULL) == HPO_SLURM_UNIT_RANGE)
                return fail(c, v, "slurm.mem: %s is too large (at most %lld M)", DESCRIBE(v),
                            HPO_SLURM_MEM_MAX_MIB);
            if (!t || !is_word(t) || !opts[i].valid(t))
                return fail(c, v, "slurm.%s: expected %s, got %s", key, opts[i].expected, DESCRIBE(v));
            *fields[i] = xstrdup(t);
        }
    }
    return HPO_OK;
}

/* ---- checks across sections -------------------------------------------- */

/* Every {name} in one argument names a parameter or the fidelity param;
 * {{ and }} are literal braces.  The scan mirrors trial/runner.c's substitution. */
static int check_arg_placeholders(ctx *c, const hpo_spec *s, const char *arg, yaml_node_t *at)
{
    for (const char *p = arg; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '}')
            return fail(c, at, "command: unmatched '}' in \"%s\" (write }} for a literal brace)", arg);
        if (*p != '{') continue;
        const char *end = strchr(p, '}');
        if (!end) return fail(c, at, "command: unmatched '{' in \"%s\" (write {{ for a literal brace)", arg);
        char *name = xstrndup(p + 1, (size_t)(end - p - 1));
        int known = space_find(&s->space, name) >= 0 ||
                    (s->fidelity.enabled && strcmp(name, s->fidelity.param) == 0);
        if (!known) {
            int n = s->space.n + 1;
            const char **names = xcalloc((size_t)n, sizeof(char *));
            for (int i = 0; i < s->space.n; i++) names[i] = s->space.params[i].name;
            names[s->space.n] = s->fidelity.enabled ? s->fidelity.param : NULL;
            char hint[600], list[500];
            if (!suggest(name, names, n))
                snprintf(hint, sizeof hint, " (parameters: %s)",
                         join_list(list, sizeof list, names, names[n - 1] ? n : n - 1, ", "));
            else
                did_you_mean(hint, sizeof hint, name, names, n);
            int rc = fail(c, at, "command: placeholder {%s} names no parameter%s", name, hint);
            free(names);
            free(name);
            return rc;
        }
        free(name);
        p = end;
    }
    return HPO_OK;
}

static int check_placeholders(ctx *c, const hpo_spec *s)
{
    yaml_node_t *cmd = c->command;
    for (int i = 0; i < s->argc; i++) {
        /* a list points at the item; a string at the command as a whole */
        yaml_node_t *at = cmd->type == YAML_SEQUENCE_NODE ? node(c, cmd->data.sequence.items.start[i]) : cmd;
        int rc = check_arg_placeholders(c, s, s->argv[i], at);
        if (rc) return rc;
    }
    return HPO_OK;
}

/* ---- the top level ------------------------------------------------------ */

typedef int (*section_fn)(ctx *, hpo_spec *, yaml_node_t *);

static const struct section {
    const char *key;
    section_fn parse;
} sections[] = {
    {"name", parse_name},         {"command", parse_command},   {"workdir", parse_workdir},
    {"space", parse_space},       {"param_list", parse_param_list_top},
    {"objective", parse_objective}, {"fidelity", parse_fidelity}, {"algorithm", parse_algorithm},
    {"budget", parse_budget},     {"parallel", parse_parallel}, {"slurm", parse_slurm},
    {"seed", parse_seed},         {"retries", parse_retries},   {"early_stop", parse_early_stop},
    {"keep_checkpoints", parse_keep_checkpoints},
};
#define N_SECTIONS (int)(sizeof sections / sizeof sections[0])

static void set_defaults(hpo_spec *s)
{
    s->algorithm = xstrdup("auto");
    s->algorithm_line = s->algorithm_col = 1;
    s->max_trials = 100;
    s->max_failed = 10;
    s->round_size = 8;
    s->max_concurrent = 4;
    s->trials_per_gpu = 1;
    s->median_min_trials = 3;
}

/* Keys that must be there; a PaddleHub file given as a spec gets its own
 * message, as it is the likely mistake of a PaddleHub user. */
static int check_required(ctx *c, yaml_node_t *root)
{
    yaml_node_t *pk = NULL;
    int has_space = lookup(c, root, "space", NULL) != NULL;
    int has_list = lookup(c, root, "param_list", &pk) != NULL;
    if (has_list && !lookup(c, root, "command", NULL))
        return fail(c, root, "command: missing; a PaddleHub hparam.yaml gives only the space: write a "
                    "spec with `command:` and `space: hparam.yaml`");
    static const char *const required[] = {"name", "command", "space", "objective", NULL};
    for (int i = 0; required[i]; i++) {
        if (i == 2 && has_list) continue;
        if (!lookup(c, root, required[i], NULL)) return missing(c, root, "", required[i]);
    }
    if (has_space && has_list)
        return fail(c, pk, "param_list: the space is given twice (space: and param_list:); keep one");
    return HPO_OK;
}

static int parse_top(ctx *c, hpo_spec *s)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return fail(c, NULL, "expected a mapping of spec keys (name, command, space, ...)");
    const char *keys[N_SECTIONS + 1];
    for (int i = 0; i < N_SECTIONS; i++) keys[i] = sections[i].key;
    keys[N_SECTIONS] = NULL;
    int rc;
    if ((rc = check_keys(c, root, "", "key", keys))) return rc;
    if ((rc = check_required(c, root))) return rc;
    s->algorithm_line = (int)root->start_mark.line + 1;
    s->algorithm_col = (int)root->start_mark.column + 1;

    /* sections in the file's order, so the first error is the first one
     * in the file as far as each section alone can tell */
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *key = key_text(node(c, p->key));
        for (int i = 0; i < N_SECTIONS; i++)
            if (!strcmp(key, sections[i].key) && (rc = sections[i].parse(c, s, node(c, p->value))))
                return rc;
    }
    /* the scheduler sets the fidelity param: it cannot also be searched */
    if (s->fidelity.enabled && space_find(&s->space, s->fidelity.param) >= 0)
        return fail(c, c->fidelity_param, "fidelity.param: '%s' is a parameter of the space; the scheduler "
                    "sets it, so remove it from space", s->fidelity.param);
    if ((rc = check_placeholders(c, s))) return rc;
    /* several trials to a GPU: on Slurm there must be a GPU to share */
    if (c->trials_per_gpu && s->trials_per_gpu > 1 && c->slurm_section && !(s->slurm.gres && strstr(s->slurm.gres, "gpu")))
        return fail(c, c->trials_per_gpu, "parallel.trials_per_gpu: %d trials would share a GPU, but slurm.gres "
                    "requests none (expected e.g. gres: \"gpu:1\", or trials_per_gpu: 1)", s->trials_per_gpu);
    if (!s->workdir) s->workdir = xstrdup(s->dir);
    return HPO_OK;
}

/* ---- loading ------------------------------------------------------------- */

/* "FILE:LINE:COL: YAML syntax error: problem context" from libyaml. */
static int yaml_syntax_error(const char *path, const char *yaml, size_t len, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR) return hpo_error(HPO_ERROR, "%s: out of memory", path);
    size_t line = parser->problem_mark.line, col = parser->problem_mark.column;
    if (parser->error == YAML_READER_ERROR) {
        /* reader errors (bad encoding) carry a byte offset, not a mark */
        line = col = 0;
        for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
            if (yaml[i] == '\n') line++, col = 0;
            else col++;
        }
    }
    return hpo_error(HPO_ESPEC, "%s:%zu:%zu: YAML syntax error: %s%s%s", path, line + 1, col + 1,
                     parser->problem ? parser->problem : "invalid YAML", parser->context ? " " : "",
                     parser->context ? parser->context : "");
}

/* Load the one document of the file; a second one would be ignored
 * silently by yaml_parser_load, so it is an error. */
static int load_document(const char *path, const char *yaml, size_t len, yaml_document_t *doc)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return hpo_error(HPO_ERROR, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    int rc = HPO_OK;
    if (!yaml_parser_load(&parser, doc)) {
        rc = yaml_syntax_error(path, yaml, len, &parser);
    } else if (yaml_document_get_root_node(doc)) {
        yaml_document_t next;
        if (!yaml_parser_load(&parser, &next)) {
            rc = yaml_syntax_error(path, yaml, len, &parser);
        } else {
            yaml_node_t *root = yaml_document_get_root_node(&next);
            if (root)
                rc = hpo_error(HPO_ESPEC, "%s:%zu:%zu: expected one YAML document, found a second one", path,
                               root->start_mark.line + 1, root->start_mark.column + 1);
            yaml_document_delete(&next);
        }
        if (rc != HPO_OK) yaml_document_delete(doc);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int spec_parse(hpo_spec **out, const char *path, const char *yaml, size_t len)
{
    return spec_parse_frozen(out, path, yaml, len, NULL);
}

int spec_parse_frozen(hpo_spec **out, const char *path, const char *yaml, size_t len, const char *space_file)
{
    *out = NULL;
    hpo_spec *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->dir = spec_dir(path);
    s->yaml = xstrndup(yaml, len);
    s->yaml_len = len;
    sha256_hex(yaml, len, s->sha256);
    set_defaults(s);

    yaml_document_t doc;
    int rc = load_document(path, yaml, len, &doc);
    if (rc == HPO_OK) {
        ctx c = {.path = path, .doc = &doc, .space_override = space_file};
        rc = parse_top(&c, s);
        yaml_document_delete(&doc);
    }
    if (rc != HPO_OK) {
        spec_free(s);
        return rc;
    }
    *out = s;
    return HPO_OK;
}

int spec_load(hpo_spec **out, const char *path)
{
    char *bytes;
    size_t len;
    *out = NULL;
    int rc = read_file(path, &bytes, &len);
    if (rc != HPO_OK) return rc;
    rc = spec_parse(out, path, bytes, len);
    free(bytes);
    return rc;
}

void spec_free(hpo_spec *s)
{
    if (!s) return;
    free(s->path);
    free(s->dir);
    free(s->yaml);
    free(s->name);
    for (int i = 0; i < s->argc; i++) free(s->argv[i]);
    free(s->argv);
    free(s->workdir);
    free(s->space_file);
    free(s->space_yaml);
    space_free(&s->space);
    free(s->metric);
    free(s->algorithm);
    for (int i = 0; i < s->n_options; i++) {
        free(s->options[i].key);
        free(s->options[i].value);
    }
    free(s->options);
    free(s->fidelity.param);
    free(s->slurm.partition);
    free(s->slurm.gres);
    free(s->slurm.mem);
    free(s->slurm.time);
    free(s->slurm.account);
    free(s->slurm.qos);
    free(s->slurm.signal);
    for (int i = 0; i < s->slurm.n_extra; i++) free(s->slurm.extra[i]);
    free(s->slurm.extra);
    free(s);
}

/* ---- algorithm options --------------------------------------------------- */

const hpo_option *spec_option(const hpo_spec *spec, const char *key)
{
    for (int i = 0; i < spec->n_options; i++)
        if (strcmp(spec->options[i].key, key) == 0) return &spec->options[i];
    return NULL;
}

int spec_option_double(const hpo_spec *spec, const char *key, double def, double lo, double hi, double *out)
{
    const hpo_option *o = spec_option(spec, key);
    if (!o) return *out = def, HPO_OK;
    char b1[40], b2[40], range[100];
    if (hi >= DBL_MAX) snprintf(range, sizeof range, ">= %s", fmt_num(b1, lo));
    else snprintf(range, sizeof range, "in [%s, %s]", fmt_num(b1, lo), fmt_num(b2, hi));
    double v;
    if (parse_double(o->value, &v) != 0)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: expected a number %s, got \"%s\"", spec->path,
                         o->line, o->col, key, range, o->value);
    if (v < lo || v > hi)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: expected a number %s, got %s", spec->path,
                         o->line, o->col, key, range, o->value);
    *out = v;
    return HPO_OK;
}

int spec_option_long(const hpo_spec *spec, const char *key, long def, long lo, long hi, long *out)
{
    const hpo_option *o = spec_option(spec, key);
    if (!o) return *out = def, HPO_OK;
    char range[100];
    if (hi == LONG_MAX) snprintf(range, sizeof range, ">= %ld", lo);
    else snprintf(range, sizeof range, "in [%ld, %ld]", lo, hi);
    long long v;
    if (parse_long(o->value, &v) != 0)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: expected an integer %s, got \"%s\"", spec->path,
                         o->line, o->col, key, range, o->value);
    if (v < lo || v > hi)
        return hpo_error(HPO_ESPEC, "%s:%d:%d: algorithm.%s: expected an integer %s, got %s", spec->path,
                         o->line, o->col, key, range, o->value);
    *out = (long)v;
    return HPO_OK;
}

static int executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int spec_check_runnable(const hpo_spec *s)
{
    struct stat st;
    if (!s->workdir || stat(s->workdir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hpo_error(HPO_ESPEC, "%s: workdir: %s: %s", s->path, s->workdir ? s->workdir : "(none)",
                         s->workdir && stat(s->workdir, &st) == 0 ? "not a directory" : "no such directory");
    const char *prog = s->argc > 0 ? s->argv[0] : NULL;
    if (!prog || strchr(prog, '{')) return HPO_OK;   /* decided per trial */
    if (strchr(prog, '/')) {
        char *full = prog[0] == '/' ? xstrdup(prog) : path_join(s->workdir, prog);
        int ok = executable_file(full);
        int r = ok ? HPO_OK : hpo_error(HPO_ESPEC, "%s: command: %s: %s", s->path, full,
                                        stat(full, &st) != 0 ? "no such file" : "not an executable file");
        free(full);
        return r;
    }
    const char *path = getenv("PATH");
    char *dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    int found = 0;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *full = path_join(*d ? d : ".", prog);
        found = executable_file(full);
        free(full);
    }
    free(dirs);
    if (!found) return hpo_error(HPO_ESPEC, "%s: command: '%s' is not found on $PATH", s->path, prog);
    return HPO_OK;
}
