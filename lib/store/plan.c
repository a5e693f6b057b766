/*
 * plan.c -- reading and writing round plans and round states (plan.h).
 */
#include "store/plan.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *plan_path(const hpo_experiment *e, int round, const char *ext)
{
    return xasprintf("%s/rounds/r%04d.%s", e->dir, round, ext);
}

hpo_plan *plan_new(int round, const char *kind, int n_params, int n)
{
    hpo_plan *p = xcalloc(1, sizeof *p);
    p->round = round;
    snprintf(p->kind, sizeof p->kind, "%s", kind);
    p->n_params = n_params;
    p->n = n;
    p->trials = xcalloc((size_t)(n ? n : 1), sizeof *p->trials);
    for (int i = 0; i < n; i++) {
        p->trials[i].values = xcalloc((size_t)(n_params ? n_params : 1), sizeof(double));
        p->trials[i].parent_id = -1;
        p->trials[i].budget = NAN;
        p->trials[i].bracket = p->trials[i].rung = -1;
        p->trials[i].index = i;
    }
    return p;
}

void plan_free(hpo_plan *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) free(p->trials[i].values);
    free(p->trials);
    free(p);
}

/* A growing text buffer. */
typedef struct { char *s; size_t len, cap; } sbuf;

static void sb_add(sbuf *b, const char *text)
{
    size_t n = strlen(text);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

int plan_write(const hpo_experiment *e, const hpo_plan *p)
{
    const hpo_space *sp = &e->spec->space;
    sbuf b = {0};
    char num[64], line[256];
    snprintf(line, sizeof line, "hpo-plan 1\nround %d\nkind %s\nparams", p->round, p->kind);
    sb_add(&b, line);
    for (int i = 0; i < sp->n; i++) {
        sb_add(&b, " ");
        sb_add(&b, sp->params[i].name);
    }
    sb_add(&b, "\n");
    for (int t = 0; t < p->n; t++) {
        const hpo_plan_trial *tr = &p->trials[t];
        format_double(num, sizeof num, tr->budget);
        snprintf(line, sizeof line, "trial %ld %d %ld %s %d %d", tr->trial_id, tr->index, tr->parent_id, num,
                 tr->bracket, tr->rung);
        sb_add(&b, line);
        for (int i = 0; i < p->n_params; i++) {
            format_double(num, sizeof num, tr->values[i]);
            sb_add(&b, " ");
            sb_add(&b, num);
        }
        sb_add(&b, "\n");
    }
    char *path = plan_path(e, p->round, "plan");
    int r = write_file_atomic(path, b.s, b.len);
    free(path);
    free(b.s);
    return r;
}

/* Parse "trial ID INDEX PARENT BUDGET BRACKET RUNG V..." into t. */
static int parse_trial_line(char *s, int n_params, hpo_plan_trial *t)
{
    char *end;
    t->trial_id = strtol(s, &end, 10);
    if (end == s) return -1;
    s = end;
    t->index = (int)strtol(s, &end, 10);
    if (end == s) return -1;
    s = end;
    t->parent_id = strtol(s, &end, 10);
    if (end == s) return -1;
    s = end;
    t->budget = strtod(s, &end);
    if (end == s) return -1;
    s = end;
    t->bracket = (int)strtol(s, &end, 10);
    if (end == s) return -1;
    s = end;
    t->rung = (int)strtol(s, &end, 10);
    if (end == s) return -1;
    s = end;
    for (int i = 0; i < n_params; i++) {
        t->values[i] = strtod(s, &end);
        if (end == s) return -1;
        s = end;
    }
    while (*s == ' ') s++;
    return *s == '\0' ? 0 : -1;
}

int plan_read(const hpo_experiment *e, int round, hpo_plan **out)
{
    char *path = plan_path(e, round, "plan"), *text = NULL;
    int r = read_file(path, &text, NULL);
    if (r != 0) { free(path); return r; }
    const hpo_space *sp = &e->spec->space;
    int n_trials = 0;
    for (char *c = text; (c = strstr(c, "\ntrial ")); c++) n_trials++;
    hpo_plan *p = plan_new(round, "", sp->n, n_trials);
    int lineno = 0, t = 0, have_header = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (lineno == 1) {
            have_header = strcmp(line, "hpo-plan 1") == 0;
            if (!have_header) r = hpo_error(HPO_ECORRUPT, "%s:1: not an hpo plan (version 1)", path);
        } else if (strncmp(line, "round ", 6) == 0) {
            if (atoi(line + 6) != round) r = hpo_error(HPO_ECORRUPT, "%s:%d: round %s, expected %d", path, lineno, line + 6, round);
        } else if (strncmp(line, "kind ", 5) == 0) {
            snprintf(p->kind, sizeof p->kind, "%s", line + 5);
        } else if (strncmp(line, "params", 6) == 0) {
            /* The plan must have been made for this very space. */
            char *names = line + 6, *save2 = NULL;
            int i = 0;
            for (char *nm = strtok_r(names, " ", &save2); nm; nm = strtok_r(NULL, " ", &save2), i++)
                if (i >= sp->n || strcmp(nm, sp->params[i].name) != 0) break;
            if (i != sp->n) r = hpo_error(HPO_ECORRUPT, "%s:%d: parameters do not match the spec", path, lineno);
        } else if (strncmp(line, "trial ", 6) == 0 && t < n_trials) {
            if (parse_trial_line(line + 6, sp->n, &p->trials[t++]) != 0)
                r = hpo_error(HPO_ECORRUPT, "%s:%d: malformed trial line", path, lineno);
        } else {
            r = hpo_error(HPO_ECORRUPT, "%s:%d: unexpected line", path, lineno);
        }
    }
    if (r == 0 && t != n_trials) r = hpo_error(HPO_ECORRUPT, "%s: truncated", path);
    free(text);
    free(path);
    if (r != 0) { plan_free(p); return r; }
    *out = p;
    return 0;
}

int plan_count(const hpo_experiment *e)
{
    return plan_count_from(e, 0);
}

int plan_count_from(const hpo_experiment *e, int known)
{
    int n = known;
    for (;; n++) {
        char *path = plan_path(e, n, "plan");
        int exists = path_exists(path);
        free(path);
        if (!exists) return n;
    }
}

int round_state_read(const hpo_experiment *e, int round, hpo_round_state *s)
{
    memset(s, 0, sizeof *s);
    s->submitted_at = s->finished_at = NAN;
    s->array_job_id = s->driver_job_id = -1;
    char *path = plan_path(e, round, "state"), *text = NULL;
    int r = read_file(path, &text, NULL);
    free(path);
    if (r != 0) return r;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(line, "submitted_at") == 0) s->submitted_at = strtod(v, NULL);
        else if (strcmp(line, "finished_at") == 0) s->finished_at = strtod(v, NULL);
        else if (strcmp(line, "array_job_id") == 0) s->array_job_id = strtol(v, NULL, 10);
        else if (strcmp(line, "driver_job_id") == 0) s->driver_job_id = strtol(v, NULL, 10);
        else if (strcmp(line, "array") == 0 && s->n_arrays < HPO_MAX_ARRAYS &&
                 sscanf(v, "%ld@%d", &s->arrays[s->n_arrays], &s->offsets[s->n_arrays]) == 2)
            s->n_arrays++;
    }
    if (s->n_arrays > 0) s->array_job_id = s->arrays[0];
    free(text);
    return 0;
}

int round_state_write(const hpo_experiment *e, int round, const hpo_round_state *s)
{
    char a[64], b[64];
    format_double(a, sizeof a, s->submitted_at);
    format_double(b, sizeof b, s->finished_at);
    char *text = xasprintf("submitted_at=%s\nfinished_at=%s\narray_job_id=%ld\ndriver_job_id=%ld\n",
                           a, b, s->n_arrays > 0 ? s->arrays[0] : s->array_job_id, s->driver_job_id);
    for (int k = 0; k < s->n_arrays; k++) {
        char *more = xasprintf("%sarray=%ld@%d\n", text, s->arrays[k], s->offsets[k]);
        free(text);
        text = more;
    }
    char *path = plan_path(e, round, "state");
    int r = write_file_atomic(path, text, strlen(text));
    free(path);
    free(text);
    return r;
}
