/*
 * decide.c -- sweep decisions (see decide.h).
 */
#include "sweep/decide.h"
#include "store/journal.h"
#include "store/plan.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int status_is_failure(const char *s)
{
    return strcmp(s, HPO_STATUS_FAILED) == 0 || strcmp(s, HPO_STATUS_TIMEOUT) == 0 ||
           strcmp(s, HPO_STATUS_OOM) == 0 || strcmp(s, HPO_STATUS_NODE_FAIL) == 0;
}

static int better(const hpo_spec *spec, double a, double b)
{
    return spec->maximize ? a > b : a < b;
}

/* Whether completed trial a ranks before b: the higher budget first (an
 * objective at 81 epochs says more than one at 1), then the better
 * objective, then the earlier trial. */
static int ranks_before(const hpo_spec *spec, const hpo_trial_row *a, const hpo_trial_row *b)
{
    double ba = isnan(a->budget) ? -INFINITY : a->budget, bb = isnan(b->budget) ? -INFINITY : b->budget;
    if (ba != bb) return ba > bb;
    if (a->objective != b->objective) return better(spec, a->objective, b->objective);
    return a->trial_id < b->trial_id;
}

void driver_summary(const hpo_spec *spec, const hpo_store *st, hpo_summary *s)
{
    memset(s, 0, sizeof *s);
    s->best = -1;
    s->best_objective = NAN;
    const hpo_trial_row *t = store_trials(st);
    s->n_trials = store_n_trials(st);
    for (size_t i = 0; i < s->n_trials; i++) {
        const char *st_ = t[i].status;
        if (strcmp(st_, HPO_STATUS_COMPLETED) == 0) {
            s->n_completed++;
            if (isfinite(t[i].objective) && (s->best < 0 || ranks_before(spec, &t[i], &t[s->best]))) {
                s->best = (long)i;
                s->best_objective = t[i].objective;
            }
        } else if (status_is_failure(st_)) s->n_failed++;
        else if (strcmp(st_, HPO_STATUS_PRUNED) == 0) s->n_pruned++;
        else if (strcmp(st_, HPO_STATUS_RUNNING) == 0) s->n_running++;
        else if (strcmp(st_, HPO_STATUS_PLANNED) == 0 || strcmp(st_, HPO_STATUS_CANCELLED) == 0) s->n_waiting++;
    }
}

int driver_unfinished(const hpo_store *st, int round, int **indices, int *n)
{
    const hpo_trial_row *t = store_trials(st);
    size_t total = store_n_trials(st);
    *indices = xcalloc(total + 1, sizeof(int));
    *n = 0;
    for (size_t i = 0; i < total; i++)
        if (t[i].round == round && (!status_is_terminal(t[i].status) ||
                                    strcmp(t[i].status, HPO_STATUS_CANCELLED) == 0))
            (*indices)[(*n)++] = t[i].array_index;
    return 0;
}

/* Whether the best objective of the last patience_rounds rounds is no
 * better than the best before them. */
static int stalled(const hpo_spec *spec, const hpo_store *st, size_t rounds)
{
    if (rounds <= (size_t)spec->patience_rounds) return 0;
    int cut = (int)rounds - spec->patience_rounds;
    double before = NAN, after = NAN;
    const hpo_trial_row *t = store_trials(st);
    for (size_t i = 0; i < store_n_trials(st); i++) {
        if (strcmp(t[i].status, HPO_STATUS_COMPLETED) != 0 || !isfinite(t[i].objective)) continue;
        double *slot = t[i].round < cut ? &before : &after;
        if (isnan(*slot) || better(spec, t[i].objective, *slot)) *slot = t[i].objective;
    }
    return !isnan(before) && !(isfinite(after) && better(spec, after, before));
}

int driver_should_stop(const hpo_experiment *e, const hpo_store *st, char *buf, size_t n)
{
    const hpo_spec *spec = e->spec;
    hpo_summary s;
    driver_summary(spec, st, &s);
    size_t rounds = store_n_rounds(st);
    if (spec->has_target) {
        const hpo_trial_row *t = store_trials(st);
        for (size_t i = 0; i < s.n_trials; i++)
            if (strcmp(t[i].status, HPO_STATUS_COMPLETED) == 0 && isfinite(t[i].objective) &&
                !better(spec, spec->target, t[i].objective)) {
                snprintf(buf, n, "objective.target %g reached by trial %zu (%s = %g)", spec->target, i,
                         spec->metric, t[i].objective);
                return 1;
            }
    }
    if (spec->patience_rounds > 0 && stalled(spec, st, rounds)) {
        snprintf(buf, n, "early_stop.patience_rounds: the best has not improved in the last %d rounds",
                 spec->patience_rounds);
        return 1;
    }
    if (spec->max_failed > 0 && s.n_failed >= (size_t)spec->max_failed) {
        const hpo_trial_row *t = store_trials(st);
        size_t last = s.n_trials;
        while (last-- > 0 && !status_is_failure(t[last].status)) {}
        snprintf(buf, n, "budget.max_failed reached: %zu trials failed; the last, trial %zu: %s",
                 s.n_failed, last, t[last].reason);
        return 1;
    }
    if ((long)s.n_trials >= spec->max_trials) {
        snprintf(buf, n, "budget.max_trials reached (%zu trials)", s.n_trials);
        return 1;
    }
    if (spec->max_rounds > 0 && (long)rounds >= spec->max_rounds) {
        snprintf(buf, n, "budget.max_rounds reached (%zu rounds)", rounds);
        return 1;
    }
    if (spec->max_hours > 0 && rounds > 0 && !isnan(store_rounds(st)[0].submitted_at)) {
        double hours = (now_wall() - store_rounds(st)[0].submitted_at) / 3600.0;
        if (hours >= spec->max_hours) {
            snprintf(buf, n, "budget.max_hours reached (%.2f h since the first round)", hours);
            return 1;
        }
    }
    return 0;
}

int driver_propose_round(const hpo_experiment *e, const hpo_store *st, const hpo_optimizer *opt,
                         int round, int max_new, hpo_plan **out)
{
    const hpo_spec *spec = e->spec;
    size_t n_trials = store_n_trials(st);
    long room = spec->max_trials - (long)n_trials;
    /* Hyperband sizes its own rounds; the rest fill parallel.round_size. */
    long want = max_new > 0 ? max_new : opt->sizes_its_rounds ? 65536 : spec->round_size;
    int max = room < want ? (int)(room > 0 ? room : 0) : (int)want;
    const double **config = xcalloc((size_t)spec->space.n + 1, sizeof *config);
    for (int p = 0; p < spec->space.n; p++) config[p] = store_config(st, p);
    hpo_history h = {.n = n_trials, .trials = store_trials(st), .config = config};
    hpo_plan *plan = plan_new(round, opt->name, spec->space.n, max);
    hpo_proposal *props = xcalloc((size_t)max + 1, sizeof *props);
    for (int i = 0; i < max; i++) props[i].values = plan->trials[i].values;
    int n = 0, r = max > 0 ? opt->propose(spec, &h, round, max, props, &n) : 0;
    for (int i = 0; i < n; i++) {
        plan->trials[i].trial_id = (long)n_trials + i;
        plan->trials[i].index = i;
        plan->trials[i].parent_id = props[i].parent_id;
        plan->trials[i].budget = props[i].budget;
        plan->trials[i].bracket = props[i].bracket;
        plan->trials[i].rung = props[i].rung;
    }
    /* Rows past n were allocated for proposals not made: drop them. */
    for (int i = n; i < max; i++) free(plan->trials[i].values);
    plan->n = n;
    free(props);
    free(config);
    if (r != 0) { plan_free(plan); return r; }
    *out = plan;
    return 0;
}

/* keep_checkpoints: best.  Once round `plan` is planned, a multi-fidelity
 * trial of the round before that was not promoted into it never will be:
 * its checkpoint goes, unless it is the best trial so far. */
static void drop_dead_checkpoints(hpo_experiment *e, const hpo_store *st, const hpo_plan *plan)
{
    hpo_summary s;
    driver_summary(e->spec, st, &s);
    const hpo_trial_row *t = store_trials(st);
    for (size_t i = 0; i < store_n_trials(st); i++) {
        if (t[i].round != plan->round - 1 || t[i].rung < 0 || (long)i == s.best) continue;
        int promoted = 0;
        for (int k = 0; k < plan->n && !promoted; k++) promoted = plan->trials[k].parent_id == (long)i;
        if (promoted) continue;
        char *dir = experiment_trial_dir(e, (long)i), *ckpt = path_join(dir, "checkpoint");
        empty_directory(ckpt);
        free(ckpt);
        free(dir);
    }
}

int driver_plan_round(hpo_experiment *e, const hpo_store *st, const hpo_optimizer *opt,
                      int round, int max_new, int *n_planned)
{
    hpo_plan *plan = NULL;
    *n_planned = 0;
    int r = driver_propose_round(e, st, opt, round, max_new, &plan);
    if (r == 0 && plan->n > 0) r = plan_write(e, plan);
    /* In workers mode any trial may still be promoted later (ASHA's top
     * 1/eta grows with its rung), so no checkpoint is dead before the end. */
    if (r == 0 && plan->n > 0 && !e->spec->keep_all_checkpoints && optimizer_sweep_mode(e->spec) == HPO_MODE_ROUNDS)
        drop_dead_checkpoints(e, st, plan);
    if (r == 0) *n_planned = plan->n;
    plan_free(plan);
    return r;
}

static const hpo_spec *rank_spec;
static const hpo_trial_row *rank_rows;

static int rank_cmp(const void *a, const void *b)
{
    return ranks_before(rank_spec, &rank_rows[*(const long *)a], &rank_rows[*(const long *)b]) ? -1 : 1;
}

size_t driver_ranking(const hpo_spec *spec, const hpo_store *st, long **order)
{
    size_t n = store_n_trials(st), k = 0;
    const hpo_trial_row *t = store_trials(st);
    *order = xcalloc(n + 1, sizeof(long));
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].status, HPO_STATUS_COMPLETED) == 0 && isfinite(t[i].objective))
            (*order)[k++] = (long)i;
    rank_spec = spec;
    rank_rows = t;
    qsort(*order, k, sizeof(long), rank_cmp);
    return k;
}
