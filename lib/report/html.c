/*
  * report/html.c -- the HTML report of a sweep (see report_html.h).
 *
 * The page, top to bottom (each chart an inline <svg> with an id, so tests
 * and readers can find it; every point, line and summary has a <title>
 * tooltip).  Past DOTS_MAX completed trials (CURVES_MAX curves) a chart
 * summarises instead of drawing every trial, keeps the best trials as
 * points or lines, and says so in its caption; a summary's tooltip says
 * what it holds (tests/integration/report_scale.sh, bench/report):
 *   summary     name, algorithm, objective, trials by state, the best, and
 *               why the sweep stopped or that it still runs
 *   playbook    the flags of playbook.h; per scientific parameter, the best
 *               objective per value over the nuisance parameters
 *   progress    #best-so-far: the best objective so far against finished
 *               trials; #best-vs-gpu-hours: against GPU-hours (runtime_s x
 *               the trial's GPUs), or compute hours, labelled so, when no
 *               trial had a GPU.  One line per budget in a multi-fidelity
 *               sweep: objectives at different budgets are not comparable.
 *               Summarised: a bar of 10-90% quantiles per column, a dot per
 *               trial that improved the best; the line drawn last, on a halo
 *   curves      #curves: every trial's curve of the objective metric, faint,
 *               the top 5 (and the trials they resumed) bold; coloured by
 *               rung in a multi-fidelity sweep.  Summarised: the top 20 as
 *               lines over a 10-90% band and median per step (per rung)
 *   parameters  #scatter-P per parameter: objective against value (log axis
 *               for a log-scale parameter, categories for a choice), failed
 *               trials as crosses above the plot -- the Deep Learning Tuning
 *               Playbook's "basic hyperparameter axis plots".  Summarised:
 *               density cells, or a box per value of an int or choice, the
 *               best 50 as dots; past FAILS_MAX, failures as bars per column
 *   parallel    #parallel: parallel coordinates of the top 20% configs, at
 *               most PC_MAX lines (the best PC_BEST and an even sample)
 *   top trials  #top-trials: the 5 best, `hpo best`'s order, with details;
 *               when summarised, #top-trials-more (folded): ranks 6 to 50
 *   failures    #failures: grouped by status and reason, counted
 *   lineage     #lineage, PBT only: members x generations, an edge from
 *               each trial's parent (the checkpoint it resumed)
 *   spec        the frozen spec, folded
 *
 * Self-contained: no URL anywhere in the page; a Content-Security-Policy
 * forbids loading anything; the one inline script only records a script
 * error in a DOM attribute (data-js-error) and load in data-loaded, which
 * is how tests/integration/report_html.sh checks the page in Chromium.
 *
 * Why SVG written by hand rather than through a library: cairo (Debian
 * libcairo2-dev) is the C library packaged in Debian that writes SVG and
 * PNG, and was considered first.  Its SVG surface draws text as glyph
 * outlines (the page would be neither searchable nor selectable, and the
 * machine writing it -- often a headless cluster node -- would need fonts
 * and fontconfig), it cannot attach an id, a class or a <title> tooltip to
 * a point or line, and a PNG of it (base64 in the page) is larger, blurs
 * when zoomed and hides the data.  GNU plotutils' libplot has the same
 * limits and is no longer maintained.  What these charts need is lines,
 * circles, text and axes with ticks: a few hundred lines of fprintf that
 * produce plain, diffable, searchable text, rendered by any browser with
 * no dependency at build or view time.
 */
#include "report/html.h"
#include "store/journal.h"
#include "report/playbook.h"
#include "core/util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOP_DETAILED 5          /* the top table and the bold curves */
#define TOP_FRACTION 0.20       /* the parallel-coordinates plot */
#define N_COLOURS 10
#define FAINT_POINTS 100        /* at most this many points per faint curve */
#define BOLD_POINTS 2000

/* Past these sizes a chart summarises instead of drawing every trial: ten
 * thousand dots or lines cover one another (the chart becomes a solid
 * block) and make the page tens of MB that a browser takes seconds to draw.
 * The best trials stay individual elements, with their tooltips. */
#define DOTS_MAX 500            /* completed trials drawn as one dot each */
#define CURVES_MAX 200          /* curves drawn as one line each */
#define FAILS_MAX 200           /* failed trials drawn as one cross each (per parameter) */
#define TOP_POINTS 50           /* the best trials kept as dots in a summarised scatter */
#define TOP_LINES 20            /* the top curves drawn over the bands, the top 5 bold */
#define PC_MAX 300              /* the most lines in parallel coordinates */
#define PC_BEST 100             /* of which the best are always drawn, the rest sampled */
#define PROGRESS_BINS 60        /* columns of a summarised progress chart */
#define CURVE_BINS 120          /* step columns of the curves' bands */
#define DENSITY_X 32            /* the most cells of a summarised scatter (fewer for fewer trials) */
#define DENSITY_Y 18
#define BOX_MAX_VALUES 24       /* an int parameter with at most this many values gets a box per value */

/* Tableau 10: distinct for categories (rungs, budgets, ranks). */
static const char *const palette[N_COLOURS] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                               "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

/* ------------------------------------------------------------------ */
/* snapshot                                                             */

int report_data_load(hpo_report_data *d, const hpo_spec *spec, const char *exp_dir, hpo_store *st)
{
    memset(d, 0, sizeof *d);
    d->spec = spec;
    d->exp_dir = xstrdup(exp_dir);
    d->taken_at = now_wall();
    d->n = store_n_trials(st);
    d->trials = xcalloc(d->n + 1, sizeof *d->trials);
    if (d->n) memcpy(d->trials, store_trials(st), d->n * sizeof *d->trials);
    d->config = xcalloc((size_t)spec->space.n + 1, sizeof *d->config);
    for (int p = 0; p < spec->space.n; p++) {
        d->config[p] = xcalloc(d->n + 1, sizeof(double));
        if (d->n) memcpy(d->config[p], store_config(st, p), d->n * sizeof(double));
    }
    d->n_rounds = store_n_rounds(st);
    driver_summary(spec, st, &d->summary);
    d->n_ranked = driver_ranking(spec, st, &d->ranking);
    if (store_get_attr(st, "stop_reason", &d->stop_reason) != 0) d->stop_reason = NULL;
    return store_read_curves(st, &d->curves, &d->n_curves);
}

void report_data_free(hpo_report_data *d)
{
    if (d->config)
        for (int p = 0; p < d->spec->space.n; p++) free(d->config[p]);
    free(d->config);
    free(d->trials);
    free(d->curves);
    free(d->ranking);
    free(d->stop_reason);
    free(d->exp_dir);
    memset(d, 0, sizeof *d);
}

int report_gpu_count(const char *gpu)
{
    /* The visible list is what comes before "; " (the runtime's facts). */
    const char *semi = strchr(gpu, ';');
    size_t len = semi ? (size_t)(semi - gpu) : strlen(gpu);
    while (len > 0 && gpu[len - 1] == ' ') len--;
    if (len == 0 || (len == 4 && strncmp(gpu, "none", 4) == 0) || (len == 10 && strncmp(gpu, "NoDevFiles", 10) == 0))
        return 0;
    if (len == 3 && strncmp(gpu, "all", 3) == 0) {
        /* "all; 0:NVIDIA ...;1:NVIDIA ...": count the "K:" devices. */
        int n = 0;
        for (const char *s = semi; s && *s; s = strchr(s + 1, ';')) {
            const char *q = s + 1;
            while (*q == ' ') q++;
            if (*q >= '0' && *q <= '9' && strchr(q, ':')) n++;
        }
        return n;
    }
    int n = 1;
    for (size_t i = 0; i < len; i++) n += gpu[i] == ',';
    return n;
}

/* ------------------------------------------------------------------ */
/* text                                                                 */

/* HTML text or attribute value: the five special characters escaped. */
static void esc_n(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(s[i], f);
        }
    }
}

static void esc(FILE *f, const char *s)
{
    esc_n(f, s, strlen(s));
}

/* An id attribute's value: letters, digits, '-' and '_' kept, others '_'. */
static void esc_id(FILE *f, const char *s)
{
    for (; *s; s++) {
        int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                 *s == '-' || *s == '_';
        fputc(ok ? *s : '_', f);
    }
}

/* A parameter's value for people: a float to 4 digits, an int or choice
 * as the trial saw it, "-" when inactive. */
static const char *value_text(const hpo_param *p, double v, char *buf, size_t n)
{
    if (isnan(v)) snprintf(buf, n, "-");
    else if (p->type == HPO_PARAM_FLOAT) snprintf(buf, n, "%.4g", v);
    else space_format_value(p, v, buf, n);
    return buf;
}

static const char *duration_text(double s, char *buf, size_t n)
{
    if (isnan(s)) snprintf(buf, n, "-");
    else if (s < 60) snprintf(buf, n, "%.2f s", s);
    else snprintf(buf, n, "%d:%02d:%02d", (int)(s / 3600), (int)fmod(s / 60, 60), (int)fmod(s, 60));
    return buf;
}

static int is_completed(const hpo_trial_row *t)
{
    return strcmp(t->status, HPO_STATUS_COMPLETED) == 0 && isfinite(t->objective);
}

static int is_finished(const hpo_trial_row *t)
{
    return status_is_terminal(t->status) && strcmp(t->status, HPO_STATUS_CANCELLED) != 0;
}

static int is_multi_fidelity(const hpo_report_data *d)
{
    return d->spec->fidelity.enabled;
}

static int is_pbt(const hpo_report_data *d)
{
    return strcmp(d->spec->algorithm, "pbt") == 0;
}

/* Mix of two "#rrggbb" colours, t = 0 gives a. */
static void mix(const char *a, const char *b, double t, char out[8])
{
    unsigned ca = (unsigned)strtoul(a + 1, NULL, 16), cb = (unsigned)strtoul(b + 1, NULL, 16), c = 0;
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    for (int sh = 16; sh >= 0; sh -= 8) {
        double x = ((ca >> sh) & 255) * (1 - t) + ((cb >> sh) & 255) * t;
        c |= (unsigned)lround(x) << sh;
    }
    snprintf(out, 8, "#%06x", c & 0xffffffu);
}

/* ------------------------------------------------------------------ */
/* axes and plot frames                                                 */

typedef struct axis {
    double lo, hi;              /* the range shown, in data units */
    int log;                    /* log10 scale (lo > 0) */
    int n_cats;                 /* > 0: categories 0..n_cats-1 (lo = -0.5) */
    int integer;                /* ticks at whole numbers only (an int parameter) */
    char *const *cats;
    double p0, p1;              /* the pixels of lo and hi */
} axis;

static double axis_t(const axis *a, double v)
{
    if (a->log) return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

static double axis_px(const axis *a, double v)
{
    return a->p0 + axis_t(a, v) * (a->p1 - a->p0);
}

static int axis_shows(const axis *a, double v)
{
    return isfinite(v) && (!a->log || v > 0);
}

/* Fit an axis to the finite values; a log scale when allowed, all are
 * positive and they span two decades or more (losses usually do). */
static void axis_fit(axis *a, const double *v, size_t n, int may_log)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] < lo) lo = v[i];
            if (v[i] > hi) hi = v[i];
        }
    memset(a, 0, sizeof *a);
    if (lo > hi) { a->lo = 0; a->hi = 1; return; }
    a->log = may_log && lo > 0 && hi / lo >= 100;
    if (a->log) {
        double pad = pow(hi / lo, 0.04);
        a->lo = lo / pad;
        a->hi = hi * pad;
    } else {
        double pad = lo == hi ? (lo != 0 ? fabs(lo) * 0.1 : 1) : (hi - lo) * 0.04;
        a->lo = lo - pad;
        a->hi = hi + pad;
    }
}

/* A parameter's axis: its search range (so one sees where in it the
 * trials lie), or its choices as categories. */
static void axis_param(axis *a, const hpo_param *p)
{
    memset(a, 0, sizeof *a);
    if (p->type == HPO_PARAM_CHOICE) {
        a->n_cats = p->n_choices;
        a->cats = p->choices;
        a->lo = -0.5;
        a->hi = p->n_choices - 0.5;
        return;
    }
    a->log = p->log;
    a->integer = p->type == HPO_PARAM_INT;
    if (a->log) {
        double pad = pow(p->high / p->low, 0.03);
        a->lo = p->low / pad;
        a->hi = p->high * pad;
    } else {
        a->lo = p->low - (p->high - p->low) * 0.03;
        a->hi = p->high + (p->high - p->low) * 0.03;
    }
}

/* Tick positions: 1-2-5 steps for a linear axis, decades (and 2x, 5x when
 * there are few) for a log one, every category (thinned past 12). */
static int axis_ticks(const axis *a, double *t, int max)
{
    int n = 0;
    if (a->n_cats > 0) {
        int every = a->n_cats > 12 ? (a->n_cats + 11) / 12 : 1;
        for (int c = 0; c < a->n_cats && n < max; c += every) t[n++] = c;
        return n;
    }
    if (a->log) {
        int k0 = (int)floor(log10(a->lo)), k1 = (int)ceil(log10(a->hi));
        int every = (k1 - k0) > 8 ? (k1 - k0 + 7) / 8 : 1;
        static const double mult[] = {1, 2, 5};
        int n_mult = k1 - k0 <= 2 ? 3 : 1;
        for (int k = k0; k <= k1; k += every)
            for (int m = 0; m < n_mult; m++) {
                double v = mult[m] * pow(10, k);
                if (v >= a->lo && v <= a->hi && n < max) t[n++] = v;
            }
        return n;
    }
    double raw = (a->hi - a->lo) / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;
    double step = (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
    if (a->integer && step < 1) step = 1;
    for (double v = ceil(a->lo / step) * step; v <= a->hi + step * 1e-9 && n < max; v += step)
        t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

static void tick_label(const axis *a, double v, char *buf, size_t n)
{
    if (a->n_cats > 0) {
        int c = (int)v;
        snprintf(buf, n, "%.14s", c >= 0 && c < a->n_cats ? a->cats[c] : "?");
    } else snprintf(buf, n, "%.4g", v);
}

typedef struct plot {
    FILE *f;
    double w, h;                /* the whole svg */
    double x0, x1, y0, y1;      /* the plot area: left, right, top, bottom */
    axis x, y;
} plot;

static void plot_init(plot *pl, FILE *f, double w, double h, double right_margin)
{
    memset(pl, 0, sizeof *pl);
    pl->f = f;
    pl->w = w;
    pl->h = h;
    pl->x0 = 62;
    pl->x1 = w - right_margin;
    pl->y0 = 34;
    pl->y1 = h - 44;
}

/* The frame, grid, ticks and labels; the axes must be set. */
static void plot_begin(plot *pl, const char *id, const char *title, const char *xlabel, const char *ylabel)
{
    FILE *f = pl->f;
    pl->x.p0 = pl->x0;
    pl->x.p1 = pl->x1;
    pl->y.p0 = pl->y1;
    pl->y.p1 = pl->y0;
    fprintf(f, "<svg id=\"");
    esc_id(f, id);
    fprintf(f, "\" class=\"plot\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
            pl->w, pl->h, pl->w, pl->h);
    esc(f, title);
    fprintf(f, "\">\n<text class=\"title\" x=\"%.1f\" y=\"18\">", pl->x0);
    esc(f, title);
    fprintf(f, "</text>\n<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", pl->x0,
            pl->y0, pl->x1 - pl->x0, pl->y1 - pl->y0);
    double t[64];
    char lab[64];
    int n = axis_ticks(&pl->x, t, 64);
    for (int i = 0; i < n; i++) {
        double px = axis_px(&pl->x, t[i]);
        tick_label(&pl->x, t[i], lab, sizeof lab);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                px, pl->y0, px, pl->y1, px, pl->y1 + 14);
        esc(f, lab);
        fprintf(f, "</text>\n");
    }
    n = axis_ticks(&pl->y, t, 64);
    for (int i = 0; i < n; i++) {
        double py = axis_px(&pl->y, t[i]);
        tick_label(&pl->y, t[i], lab, sizeof lab);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                pl->x0, py, pl->x1, py, pl->x0 - 5, py + 4);
        esc(f, lab);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (pl->x0 + pl->x1) / 2,
            pl->h - 10);
    esc(f, xlabel);
    if (pl->x.log) fputs(" (log scale)", f);
    fprintf(f, "</text>\n<text class=\"label\" transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
            (pl->y0 + pl->y1) / 2);
    esc(f, ylabel);
    if (pl->y.log) fputs(" (log scale)", f);
    fprintf(f, "</text>\n");
}

static void plot_end(plot *pl)
{
    fprintf(pl->f, "</svg>\n");
}

/* A message in the middle of an empty plot. */
static void plot_note(plot *pl, const char *text)
{
    fprintf(pl->f, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (pl->x0 + pl->x1) / 2,
            (pl->y0 + pl->y1) / 2);
    esc(pl->f, text);
    fprintf(pl->f, "</text>\n");
}

/* One legend entry in the right margin, row k, in any colour. */
static void legend_swatch(plot *pl, int k, const char *colour, const char *text)
{
    double y = pl->y0 + 8 + 16 * k;
    fprintf(pl->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">",
            pl->x1 + 10, y - 8, colour, pl->x1 + 24, y + 1);
    esc(pl->f, text);
    fprintf(pl->f, "</text>\n");
}

/* One legend entry in the right margin, row k, in palette colour `colour`. */
static void legend_entry(plot *pl, int k, int colour, const char *text)
{
    legend_swatch(pl, k, palette[colour % N_COLOURS], text);
}

/* ------------------------------------------------------------------ */
/* derived data                                                         */

/* Distinct finite budgets, ascending: the "levels" a multi-fidelity sweep's
 * objectives are compared within. */
typedef struct levels {
    int n;
    double *budget;
} levels;

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void levels_of(const hpo_report_data *d, levels *lv)
{
    lv->budget = xcalloc(d->n + 1, sizeof(double));
    lv->n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (isfinite(d->trials[i].budget)) lv->budget[lv->n++] = d->trials[i].budget;
    qsort(lv->budget, (size_t)lv->n, sizeof(double), double_cmp);
    int k = 0;
    for (int i = 0; i < lv->n; i++)
        if (k == 0 || lv->budget[i] != lv->budget[k - 1]) lv->budget[k++] = lv->budget[i];
    lv->n = k;
}

static int level_index(const levels *lv, double budget)
{
    for (int i = 0; i < lv->n; i++)
        if (lv->budget[i] == budget) return i;
    return 0;
}

/* The finished trials in the order they finished (then by id). */
static int finish_cmp(const void *a, const void *b, void *rows)
{
    const hpo_trial_row *x = (const hpo_trial_row *)rows + *(const long *)a,
                        *y = (const hpo_trial_row *)rows + *(const long *)b;
    double ex = isfinite(x->end_time) ? x->end_time : INFINITY, ey = isfinite(y->end_time) ? y->end_time : INFINITY;
    if (ex != ey) return ex < ey ? -1 : 1;
    return x->trial_id < y->trial_id ? -1 : x->trial_id > y->trial_id;
}

static size_t finish_order(const hpo_report_data *d, long **order)
{
    size_t k = 0;
    *order = xcalloc(d->n + 1, sizeof(long));
    for (size_t i = 0; i < d->n; i++)
        if (is_finished(&d->trials[i])) (*order)[k++] = (long)i;
    qsort_r(*order, k, sizeof(long), finish_cmp, d->trials);
    return k;
}

/* The objective metric's points of every trial, sorted by trial then step:
 * trial i's are pts[first[i] .. first[i+1]). */
typedef struct curve_pt {
    long trial, step;
    double value;
} curve_pt;

typedef struct curve_set {
    curve_pt *pts;
    size_t *first;
} curve_set;

static int curve_pt_cmp(const void *a, const void *b)
{
    const curve_pt *x = a, *y = b;
    if (x->trial != y->trial) return x->trial < y->trial ? -1 : 1;
    return x->step < y->step ? -1 : x->step > y->step;
}

static void curves_of(const hpo_report_data *d, curve_set *cs)
{
    size_t k = 0;
    cs->pts = xcalloc(d->n_curves + 1, sizeof *cs->pts);
    cs->first = xcalloc(d->n + 1, sizeof *cs->first);
    for (size_t i = 0; i < d->n_curves; i++) {
        const hpo_curve_row *c = &d->curves[i];
        if (c->trial_id < 0 || (size_t)c->trial_id >= d->n || strcmp(c->metric, d->spec->metric) != 0) continue;
        cs->pts[k++] = (curve_pt){(long)c->trial_id, (long)c->step, c->value};
    }
    qsort(cs->pts, k, sizeof *cs->pts, curve_pt_cmp);
    size_t j = 0;
    for (size_t t = 0; t <= d->n; t++) {
        while (j < k && (size_t)cs->pts[j].trial < t) j++;
        cs->first[t] = j;
    }
}

static void curves_free(curve_set *cs)
{
    free(cs->pts);
    free(cs->first);
}

/* The objectives of the completed trials (NaN for the others), for fitting
 * an objective axis. */
static double *objectives(const hpo_report_data *d)
{
    double *v = xcalloc(d->n + 1, sizeof(double));
    for (size_t i = 0; i < d->n; i++) v[i] = is_completed(&d->trials[i]) ? d->trials[i].objective : NAN;
    return v;
}

/* The q-quantile of sorted[0..n), interpolated between neighbours. */
static double quantile(const double *sorted, size_t n, double q)
{
    if (n == 0) return NAN;
    double at = q * (double)(n - 1);
    size_t i = (size_t)at;
    if (i + 1 >= n) return sorted[n - 1];
    return sorted[i] + (at - (double)i) * (sorted[i + 1] - sorted[i]);
}

/* A value in a bin: the summarised charts order these by bin and read
 * each bin's run of values off as its quantiles. */
typedef struct binned {
    long bin;
    double v;
} binned;

/* Order b[0..n) by bin, 0..n_bins-1: a counting sort, O(n).  Sorting the
 * (bin, value) pairs instead took most of the time of writing the report
 * of 10,000 trials x 100 points; bin_run() sorts each bin's values alone. */
static void bin_sort(binned *b, size_t n, long n_bins)
{
    size_t *at = xcalloc((size_t)n_bins + 1, sizeof *at);
    for (size_t i = 0; i < n; i++) at[b[i].bin + 1]++;
    for (long k = 0; k < n_bins; k++) at[k + 1] += at[k];   /* at[k]: where bin k starts */
    binned *out = xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[at[b[i].bin]++] = b[i];
    memcpy(b, out, n * sizeof *b);
    free(out);
    free(at);
}

/* The run of one bin's values, starting at index `at` of n binned ones in
 * bin order: copied to vals (n long) and sorted.  Returns the run's length. */
static size_t bin_run(const binned *b, size_t n, size_t at, double *vals)
{
    size_t k = 0;
    while (at + k < n && b[at + k].bin == b[at].bin) {
        vals[k] = b[at + k].v;
        k++;
    }
    qsort(vals, k, sizeof(double), double_cmp);
    return k;
}

/* Which of nb equal columns a value falls in, 0..nb-1. */
static long column_of(const axis *a, double v, long nb)
{
    double t = axis_t(a, v);
    if (!(t > 0)) return 0;   /* NaN too: a cast of it to long is undefined */
    if (t >= 1) return nb - 1;
    long c = (long)(t * (double)nb);
    return c >= nb ? nb - 1 : c;
}

/* The data value at fraction t of an axis (axis_t's inverse). */
static double axis_at(const axis *a, double t)
{
    if (a->log) return a->lo * pow(a->hi / a->lo, t);
    return a->lo + t * (a->hi - a->lo);
}

/* Whether objective a is better than b, in the sweep's direction. */
static int better(const hpo_report_data *d, double a, double b)
{
    return d->spec->maximize ? a > b : a < b;
}

/* A tooltip: trial, objective, budget and config. */
static void trial_title(FILE *f, const hpo_report_data *d, long t)
{
    const hpo_trial_row *r = &d->trials[t];
    char v[64];
    fprintf(f, "<title>trial %ld (%s)", t, r->status);
    if (isfinite(r->objective)) {
        fputs(": ", f);
        esc(f, d->spec->metric);
        fprintf(f, " = %.6g", r->objective);
    }
    if (isfinite(r->budget)) fprintf(f, " at budget %g", r->budget);
    for (int p = 0; p < d->spec->space.n; p++) {
        fputs(p ? ", " : "; ", f);
        esc(f, d->spec->space.params[p].name);
        fputs(" = ", f);
        esc(f, value_text(&d->spec->space.params[p], d->config[p][t], v, sizeof v));
    }
    fputs("</title>", f);
}

/* ------------------------------------------------------------------ */
/* page head and summary                                                */

static const char *const style =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;"
    "margin:0 auto;max-width:1360px;padding:12px 20px 40px}\n"
    "h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd}\n"
    ".meta{color:#555;margin:0 0 10px}\n"
    "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;"
    "vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "caption{text-align:left;font-weight:600;padding:4px 0}\n"
    /* A caption as wide as its chart: table display sizes the figure to the svg. */
    ".charts{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}figure{margin:0;display:table}"
    "figcaption{display:table-caption;caption-side:bottom;color:#555;font-size:12px;padding-top:2px}\n"
    "svg.plot{background:#fff;max-width:100%;height:auto;font-size:11px}\n"
    "svg .title{font-weight:600;font-size:13px}svg .tick{fill:#444}svg .label{fill:#222;font-size:12px}\n"
    "svg .note{fill:#888;font-size:14px}svg .frame{fill:none;stroke:#999}svg .grid{stroke:#eee}\n"
    "svg .faint{fill:none;stroke-width:1;stroke-opacity:.35}svg .bold{fill:none;stroke-width:2.6}\n"
    "svg .step{fill:none;stroke-width:2.2}svg .step-halo{fill:none;stroke:#fff;stroke-width:5;"
    "stroke-opacity:.85}svg .bin rect{fill-opacity:.35;stroke:none}svg .bin line{stroke-width:1.5}"
    "svg .dot.record{fill-opacity:1;stroke:#fff;stroke-width:.8}\n"
    "svg .band{fill-opacity:.3}svg .median{fill:none;stroke-width:1.6;stroke-dasharray:5 3}"
    "svg .mid{fill:none;stroke-width:1.2;stroke-opacity:.9}svg .cell{stroke:none}"
    "svg .box rect{fill:#d9dde2;stroke:#4a5560}svg .box line{stroke:#4a5560;stroke-width:1.2}"
    "svg .box line.med{stroke:#111;stroke-width:2}svg .topdot{fill-opacity:.9;stroke:#fff;stroke-width:.6}"
    "svg .failbar{fill:#d62728;fill-opacity:.75}\n"
    "svg .dot{fill-opacity:.55}svg .best{fill:none;stroke:#d62728;"
    "stroke-width:2}\n"
    "svg .fail{stroke:#d62728;stroke-width:1.5}svg .axis{stroke:#666}svg .pc{fill:none;stroke-width:1.6;"
    "stroke-opacity:.85}svg .halo{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}\n"
    "svg .cont{stroke:#999;stroke-width:1.2}svg .exploit{stroke:#f28e2b;stroke-width:2}svg .node{stroke:#333;"
    "stroke-width:.8}\n"
    "ul.flags li{margin:3px 0}li.flag{color:#8a4b00}p.ok{color:#2a7a2a}\n"
    "pre{background:#f7f7f7;padding:8px;overflow:auto}\n";

static void write_head(FILE *f, const hpo_report_data *d)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          /* Nothing may be loaded from anywhere: the page is all there is. */
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"hpo " HPO_VERSION "\">\n<title>hpo report: ", f);
    esc(f, d->spec->name);
    /* First thing run: record script errors and the end of loading where a
     * headless browser's DOM dump shows them (report_html.sh). */
    fputs("</title>\n<script>window.onerror=function(m,s,l){document.documentElement.setAttribute("
          "'data-js-error',String(m)+' line '+l);};window.addEventListener('load',function(){"
          "document.documentElement.setAttribute('data-loaded','1');});</script>\n<style>\n",
          f);
    fputs(style, f);
    fputs("</style>\n</head>\n<body>\n", f);
}

static void write_best_config(FILE *f, const hpo_report_data *d, long t)
{
    char v[64];
    for (int p = 0; p < d->spec->space.n; p++) {
        fputs(p ? ", " : "", f);
        esc(f, d->spec->space.params[p].name);
        fputs(" = ", f);
        esc(f, value_text(&d->spec->space.params[p], d->config[p][t], v, sizeof v));
    }
}

static void write_summary(FILE *f, const hpo_report_data *d)
{
    const hpo_spec *spec = d->spec;
    const hpo_summary *s = &d->summary;
    char when[64];
    time_t tt = (time_t)d->taken_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", localtime_r(&tt, &tm));
    fputs("<header>\n<h1>hpo report: ", f);
    esc(f, spec->name);
    fputs("</h1>\n<p class=\"meta\">", f);
    esc(f, d->exp_dir);
    fputs(" &middot; ", f);
    esc(f, spec->algorithm);
    fputs(" search &middot; objective: ", f);
    esc(f, spec->metric);
    fprintf(f, " (%s) &middot; seed %llu &middot; taken %s</p>\n</header>\n", spec->maximize ? "max" : "min",
            (unsigned long long)spec->seed, when);
    fprintf(f, "<section id=\"summary\">\n<table>\n<tr><th>trials</th><td>%zu of %ld planned: %zu completed, "
               "%zu failed, %zu pruned, %zu running, %zu waiting; %zu rounds</td></tr>\n",
            s->n_trials, spec->max_trials, s->n_completed, s->n_failed, s->n_pruned, s->n_running, s->n_waiting,
            d->n_rounds);
    fputs("<tr><th>best</th><td id=\"best\">", f);
    if (s->best >= 0) {
        fprintf(f, "trial %ld: ", s->best);
        esc(f, spec->metric);
        fprintf(f, " = %.10g", s->best_objective);
        if (isfinite(d->trials[s->best].budget)) fprintf(f, " at budget %g", d->trials[s->best].budget);
        fputs("; ", f);
        write_best_config(f, d, s->best);
    } else fputs("none yet", f);
    fputs("</td></tr>\n<tr><th>state</th><td id=\"state\">", f);
    if (d->stop_reason) {
        fputs("stopped: ", f);
        esc(f, d->stop_reason);
    } else fputs("running (or not driven since): this page is a snapshot; run <code>hpo report</code> again "
                 "to refresh it", f);
    fputs("</td></tr>\n</table>\n</section>\n", f);
}

/* ------------------------------------------------------------------ */
/* playbook                                                             */

static void write_sci_table(FILE *f, const hpo_report_data *d, const hpo_sci_table *t)
{
    const hpo_param *par = &d->spec->space.params[t->param];
    fputs("<table class=\"sci\" id=\"scientific-", f);
    esc_id(f, par->name);
    fputs("\">\n<caption>scientific parameter ", f);
    esc(f, par->name);
    fputs(": the best ", f);
    esc(f, d->spec->metric);
    fprintf(f, " per %s, over the nuisance parameters</caption>\n<tr><th>", par->type == HPO_PARAM_CHOICE ?
                                                                            "value" : "quantile bin");
    esc(f, par->name);
    fputs("</th><th>best ", f);
    esc(f, d->spec->metric);
    fputs("</th><th>trial</th>", f);
    if (is_multi_fidelity(d)) fputs("<th>budget</th>", f);
    fputs("<th>completed trials</th></tr>\n", f);
    for (int g = 0; g < t->n_groups; g++) {
        const hpo_sci_group *grp = &t->groups[g];
        fputs("<tr><td>", f);
        esc(f, grp->label);
        if (grp->best >= 0) {
            fprintf(f, "</td><td class=\"n\">%.6g</td><td class=\"n\">%ld</td>", grp->best_objective, grp->best);
            if (is_multi_fidelity(d)) fprintf(f, "<td class=\"n\">%g</td>", d->trials[grp->best].budget);
        } else fprintf(f, "</td><td>-</td><td>-</td>%s", is_multi_fidelity(d) ? "<td>-</td>" : "");
        fprintf(f, "<td class=\"n\">%zu</td></tr>\n", grp->n_trials);
    }
    fputs("</table>\n", f);
}

static void write_playbook(FILE *f, const hpo_report_data *d)
{
    hpo_playbook pb;
    playbook_check(d->spec, d->trials, (const double *const *)d->config, d->n, &pb);
    fputs("<section id=\"playbook\">\n<h2>Tuning playbook checks</h2>\n", f);
    int flags = 0;
    for (int i = 0; i < pb.n_findings; i++) flags += pb.findings[i].kind != PLAYBOOK_SCIENTIFIC;
    if (pb.best < 0) fputs("<p>No completed trial yet.</p>\n", f);
    else if (flags == 0)
        fputs("<p class=\"ok\" id=\"playbook-ok\">The best config lies inside every numeric range (not within 5% "
              "of a bound) and was first tried before the last 10% of trials.</p>\n", f);
    else {
        fputs("<ul class=\"flags\">\n", f);
        for (int i = 0; i < pb.n_findings; i++) {
            if (pb.findings[i].kind == PLAYBOOK_SCIENTIFIC) continue;
            fprintf(f, "<li class=\"flag %s\">", pb.findings[i].kind == PLAYBOOK_BOUNDARY ? "boundary" : "convergence");
            esc(f, pb.findings[i].text);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    for (int i = 0; i < pb.n_tables; i++) write_sci_table(f, d, &pb.tables[i]);
    fputs("</section>\n", f);
    playbook_free(&pb);
}

/* ------------------------------------------------------------------ */
/* progress: best so far                                                */

/* The objectives of the completed trials in each of (up to) PROGRESS_BINS
 * columns (per budget level), as a bar from the 10% to the 90% quantile
 * with a tick at the median: where ten thousand dots would be a solid block, the
 * bars show where the mass lies and how it narrows as the search goes on. */
static void draw_progress_bins(plot *pl, const hpo_report_data *d, const long *order, size_t k, const double *x,
                               const levels *lv)
{
    /* Fewer, wider columns when budgets share them, so each bar stays wide. */
    long nb = lv->n > 1 ? PROGRESS_BINS / lv->n : PROGRESS_BINS;
    if (nb < 15) nb = 15;
    FILE *f = pl->f;
    binned *b = xcalloc(k + 1, sizeof *b);
    size_t n = 0;
    for (size_t j = 0; j < k; j++) {
        const hpo_trial_row *r = &d->trials[order[j]];
        if (!is_completed(r) || !axis_shows(&pl->y, r->objective)) continue;
        long c = lv->n > 0 ? level_index(lv, r->budget) : 0;
        b[n++] = (binned){c * nb + column_of(&pl->x, x[j], nb), r->objective};
    }
    bin_sort(b, n, (lv->n > 0 ? lv->n : 1) * nb);
    double *vals = xcalloc(n + 1, sizeof(double));
    double colw = (pl->x1 - pl->x0) / (double)nb;
    for (size_t at = 0, run; at < n; at += run) {
        run = bin_run(b, n, at, vals);
        long c = b[at].bin / nb, col = b[at].bin % nb;
        double q10 = quantile(vals, run, 0.1), q50 = quantile(vals, run, 0.5), q90 = quantile(vals, run, 0.9);
        /* Budgets side by side within a column, so that their bars do not
         * cover one another. */
        double bw = (colw - 1) / (lv->n > 1 ? lv->n : 1);
        double px = pl->x0 + colw * (double)col + bw * (double)(lv->n > 1 ? c : 0);
        double y10 = axis_px(&pl->y, q10), y90 = axis_px(&pl->y, q90);
        double top = fmin(y10, y90), hgt = fmax(fabs(y10 - y90), 1.5), ym = axis_px(&pl->y, q50);
        fprintf(f, "<g class=\"bin\" fill=\"%s\" stroke=\"%s\"><title>%zu completed trials ",
                lv->n > 1 ? palette[c % N_COLOURS] : "#9aa5b1", lv->n > 1 ? palette[c % N_COLOURS] : "#5b6770", run);
        if (lv->n > 1) fprintf(f, "at budget %g ", lv->budget[c]);
        fprintf(f, "with x from %.4g to %.4g: ", axis_at(&pl->x, (double)col / (double)nb),
                axis_at(&pl->x, (double)(col + 1) / (double)nb));
        esc(f, d->spec->metric);
        fprintf(f, " median %.4g, 10-90%% quantiles %.4g to %.4g</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                   "height=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
                q50, q10, q90, px + 0.5, top, bw, hgt, px + 0.5, ym, px + 0.5 + bw, ym);
    }
    free(vals);
    free(b);
}

/* A dot per completed trial, at x[k] for the k-th finished trial; past
 * DOTS_MAX, bars per column (draw_progress_bins) and a dot only for each
 * trial that improved the best so far of its budget.  Then the step lines
 * of the running best per budget level, above everything, on a white halo
 * so that no mass of points hides them. */
static void draw_best_so_far(plot *pl, const hpo_report_data *d, const long *order, size_t k, const double *x,
                             const levels *lv)
{
    FILE *f = pl->f;
    int n_lv = lv->n > 0 ? lv->n : 1;
    int summarise = d->summary.n_completed > DOTS_MAX;
    if (summarise) draw_progress_bins(pl, d, order, k, x, lv);
    double *best = xcalloc((size_t)n_lv, sizeof(double));
    for (int c = 0; c < n_lv; c++) best[c] = NAN;
    for (size_t j = 0; j < k; j++) {
        const hpo_trial_row *r = &d->trials[order[j]];
        if (!is_completed(r) || !axis_shows(&pl->y, r->objective)) continue;
        int c = lv->n > 0 ? level_index(lv, r->budget) : 0;
        int improved = isnan(best[c]) || better(d, r->objective, best[c]);
        if (improved) best[c] = r->objective;
        if (summarise && !improved) continue;
        fprintf(f, "<circle class=\"dot%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\">",
                summarise ? " record" : "", axis_px(&pl->x, x[j]), axis_px(&pl->y, r->objective),
                summarise ? "3.2" : "2.6", palette[c % N_COLOURS]);
        trial_title(f, d, order[j]);
        fputs("</circle>\n", f);
    }
    free(best);
    for (int pass = 0; pass < 2; pass++)   /* the halo, then the lines */
        for (int c = 0; c < n_lv; c++) {
            double run = NAN;
            if (pass == 0) fputs("<polyline class=\"step-halo\" points=\"", f);
            else fprintf(f, "<polyline class=\"step\" stroke=\"%s\" points=\"", palette[c % N_COLOURS]);
            for (size_t j = 0; j < k; j++) {
                const hpo_trial_row *r = &d->trials[order[j]];
                if (!is_completed(r) || (lv->n > 0 && level_index(lv, r->budget) != c)) continue;
                if (!isnan(run) && !better(d, r->objective, run)) continue;
                double px = axis_px(&pl->x, x[j]);
                if (!isnan(run)) fprintf(f, "%.1f,%.1f ", px, axis_px(&pl->y, run));
                run = r->objective;
                fprintf(f, "%.1f,%.1f ", px, axis_px(&pl->y, run));
            }
            if (!isnan(run) && k > 0) fprintf(f, "%.1f,%.1f", axis_px(&pl->x, x[k - 1]), axis_px(&pl->y, run));
            if (pass == 0) { fputs("\"/>\n", f); continue; }
            fputs("\"><title>best so far", f);
            if (lv->n > 0) fprintf(f, " at budget %g", lv->budget[c]);
            fputs("</title></polyline>\n", f);
            if (lv->n > 1 && c < 12) {
                char text[48];
                snprintf(text, sizeof text, "budget %g", lv->budget[c]);
                legend_entry(pl, c, c, text);
            }
        }
}

static void progress_chart(FILE *f, const hpo_report_data *d, const long *order, size_t k, const double *x,
                           const char *id, const char *title, const char *xlabel, const levels *lv,
                           const double *obj)
{
    plot pl;
    plot_init(&pl, f, 640, 360, lv->n > 1 ? 110 : 20);
    axis_fit(&pl.x, x, k, 0);
    if (k > 0 && pl.x.lo < 0) pl.x.lo = 0;
    axis_fit(&pl.y, obj, d->n, 1);
    char ylabel[128];
    snprintf(ylabel, sizeof ylabel, "%s (%s)", d->spec->metric, d->spec->maximize ? "max" : "min");
    plot_begin(&pl, id, title, xlabel, ylabel);
    if (d->summary.n_completed == 0) plot_note(&pl, "no completed trial yet");
    else draw_best_so_far(&pl, d, order, k, x, lv);
    plot_end(&pl);
}

static void write_progress(FILE *f, const hpo_report_data *d, const levels *lv, const double *obj)
{
    long *order = NULL;
    size_t k = finish_order(d, &order);
    double *x = xcalloc(k + 1, sizeof(double)), *hours = xcalloc(k + 1, sizeof(double));
    int any_gpu = 0;
    for (size_t j = 0; j < k; j++) any_gpu |= report_gpu_count(d->trials[order[j]].gpu) > 0;
    double cum = 0;
    for (size_t j = 0; j < k; j++) {
        const hpo_trial_row *r = &d->trials[order[j]];
        /* Without any GPU, every trial counts its runtime once: compute hours. */
        int g = any_gpu ? report_gpu_count(r->gpu) : 1;
        if (isfinite(r->runtime_s) && r->runtime_s > 0) cum += r->runtime_s * g / 3600.0;
        x[j] = (double)(j + 1);
        hours[j] = cum;
    }
    fputs("<section id=\"progress\">\n<h2>Progress</h2>\n<div class=\"charts\">\n<figure>\n", f);
    progress_chart(f, d, order, k, x, "best-so-far", "Best objective so far, by finished trials",
                   "trials finished", lv, obj);
    if (d->summary.n_completed > DOTS_MAX)
        fprintf(f, "<figcaption>%zu completed trials, summarised: each bar spans the 10-90%% quantiles of the "
                   "trials that finished in its column, the tick is their median (hover a bar for its numbers); "
                   "a dot is a trial that improved the best so far; the line is the best so far",
                d->summary.n_completed);
    else fputs("<figcaption>Each dot is a completed trial; the line is the best so far", f);
    if (lv->n > 1) fputs(", one per budget (objectives at different budgets are not comparable)", f);
    fputs(".</figcaption>\n</figure>\n<figure>\n", f);
    if (any_gpu)
        progress_chart(f, d, order, k, hours, "best-vs-gpu-hours", "Best objective so far, by GPU-hours",
                       "GPU-hours (runtime x GPUs, summed over trials)", lv, obj);
    else
        progress_chart(f, d, order, k, hours, "best-vs-gpu-hours",
                       "Best objective so far, by compute hours (no trial had a GPU)",
                       "compute hours (runtime summed over trials; no trial had a GPU)", lv, obj);
    fprintf(f, "<figcaption>%s: %.4g hours in all%s.</figcaption>\n</figure>\n</div>\n</section>\n",
            any_gpu ? "GPU-hours" : "Compute hours (no trial had a GPU)", cum,
            d->summary.n_completed > DOTS_MAX ? "; bars, dots and line as on the left" : "");
    free(x);
    free(hours);
    free(order);
}

/* ------------------------------------------------------------------ */
/* learning curves                                                      */

/* Which trials are drawn as lines of their own: the `top` best and every
 * trial they resumed from (their curve is the start of the top one's).
 * rank_of[t] is the rank (0 first) of the top trial t leads to, else -1. */
static int *top_trials(const hpo_report_data *d, size_t top)
{
    int *rank_of = xcalloc(d->n + 1, sizeof(int));
    for (size_t i = 0; i < d->n; i++) rank_of[i] = -1;
    for (size_t r = d->n_ranked < top ? d->n_ranked : top; r-- > 0;) {
        long t = d->ranking[r];
        for (size_t guard = 0; t >= 0 && (size_t)t < d->n && guard <= d->n; guard++) {
            rank_of[t] = (int)r;
            long parent = (long)d->trials[t].parent_id;
            t = parent < t ? parent : -1;   /* parents come first; never loop */
        }
    }
    return rank_of;
}

/* A trial's curve as one polyline, at most `cap` points (evenly strided,
 * the last kept); starting from its parent's last point when it resumed
 * one, so a promoted trial's curve continues its parent's. */
static void draw_curve(plot *pl, const hpo_report_data *d, const curve_set *cs, long t, const char *cls,
                       const char *colour, size_t cap)
{
    size_t a = cs->first[t], b = cs->first[t + 1];
    if (a == b) return;
    FILE *f = pl->f;
    fprintf(f, "<polyline class=\"%s\" stroke=\"%s\" points=\"", cls, colour);
    long parent = (long)d->trials[t].parent_id;
    if (parent >= 0 && (size_t)parent < d->n && cs->first[parent + 1] > cs->first[parent]) {
        const curve_pt *last = &cs->pts[cs->first[parent + 1] - 1];
        if (last->step < cs->pts[a].step && axis_shows(&pl->y, last->value))
            fprintf(f, "%.1f,%.1f ", axis_px(&pl->x, (double)last->step), axis_px(&pl->y, last->value));
    }
    size_t stride = (b - a + cap - 1) / cap;
    if (stride < 1) stride = 1;
    for (size_t i = a; i < b; i++) {
        if ((i - a) % stride != 0 && i != b - 1) continue;
        if (!axis_shows(&pl->y, cs->pts[i].value)) continue;
        fprintf(f, "%.1f,%.1f ", axis_px(&pl->x, (double)cs->pts[i].step), axis_px(&pl->y, cs->pts[i].value));
    }
    fputs("\">", f);
    trial_title(f, d, t);
    fputs("</polyline>\n", f);
}

/* Past CURVES_MAX curves: per step column (and per rung in a multi-fidelity
 * sweep), a bar from the 10% to the 90% quantile of the reports there, and
 * a dashed line through the medians.  Ten thousand faint lines are a solid
 * block; the band says where the mass of curves runs and how wide it is. */
static void draw_curve_bands(plot *pl, const hpo_report_data *d, const curve_set *cs, int by_rung)
{
    FILE *f = pl->f;
    size_t np = cs->first[d->n];
    if (np == 0) return;
    long lo = LONG_MAX, hi = LONG_MIN;
    for (size_t i = 0; i < np; i++) {
        if (cs->pts[i].step < lo) lo = cs->pts[i].step;
        if (cs->pts[i].step > hi) hi = cs->pts[i].step;
    }
    long width = (hi - lo) / CURVE_BINS + 1, nbins = (hi - lo) / width + 1;
    binned *b = xcalloc(np + 1, sizeof *b);
    size_t n = 0;
    long groups = 1;
    for (size_t i = 0; i < np; i++) {
        const curve_pt *c = &cs->pts[i];
        if (!axis_shows(&pl->y, c->value)) continue;
        long g = by_rung && d->trials[c->trial].rung > 0 ? d->trials[c->trial].rung : 0;
        if (g >= groups) groups = g + 1;
        b[n++] = (binned){g * nbins + (c->step - lo) / width, c->value};
    }
    bin_sort(b, n, groups * nbins);
    double *vals = xcalloc(n + 1, sizeof(double)), *mx = xcalloc(n + 1, sizeof(double)),
           *my = xcalloc(n + 1, sizeof(double));
    size_t nm = 0;
    for (size_t at = 0, run; at < n; at += run) {
        run = bin_run(b, n, at, vals);
        long g = b[at].bin / nbins, s0 = lo + (b[at].bin % nbins) * width, s1 = s0 + width - 1;
        double q10 = quantile(vals, run, 0.1), q50 = quantile(vals, run, 0.5), q90 = quantile(vals, run, 0.9);
        double xa = axis_px(&pl->x, fmax(pl->x.lo, (double)s0 - 0.5)),
               xb = axis_px(&pl->x, fmin(pl->x.hi, (double)s1 + 0.5));
        double y10 = axis_px(&pl->y, q10), y90 = axis_px(&pl->y, q90);
        fprintf(f, "<rect class=\"band\" fill=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>",
                by_rung ? palette[g % N_COLOURS] : "#8c8c8c", xa, fmin(y10, y90), fmax(xb - xa, 0.5),
                fmax(fabs(y10 - y90), 1));
        if (by_rung) fprintf(f, "%s %ld, ", is_pbt(d) ? "generation" : "rung", g);
        if (width == 1) fprintf(f, "step %ld: %zu trials reported ", s0, run);
        else fprintf(f, "steps %ld to %ld: %zu reports of ", s0, s1, run);
        esc(f, d->spec->metric);
        fprintf(f, "; median %.4g, 10-90%% quantiles %.4g to %.4g</title></rect>\n", q50, q10, q90);
        /* The medians, kept for the lines drawn over all the bars. */
        mx[nm] = (xa + xb) / 2;
        my[nm] = axis_px(&pl->y, q50);
        b[nm].bin = g;   /* b[0..at) has been read: reuse it for the medians' groups */
        nm++;
    }
    for (size_t i = 0; i < nm;) {
        long g = b[i].bin;
        fprintf(f, "<polyline class=\"median\" stroke=\"%s\" points=\"",
                by_rung ? palette[g % N_COLOURS] : "#555555");
        for (; i < nm && b[i].bin == g; i++) fprintf(f, "%.1f,%.1f ", mx[i], my[i]);
        fputs("\"><title>the median of ", f);
        esc(f, d->spec->metric);
        if (by_rung) fprintf(f, " at each step, over the trials of %s %ld", is_pbt(d) ? "generation" : "rung", g);
        else fputs(" at each step, over all trials", f);
        fputs("</title></polyline>\n", f);
    }
    free(my);
    free(mx);
    free(vals);
    free(b);
}

static void write_curves(FILE *f, const hpo_report_data *d)
{
    curve_set cs;
    curves_of(d, &cs);
    size_t np = cs.first[d->n], n_curves = 0;
    double *steps = xcalloc(np + 1, sizeof(double)), *vals = xcalloc(np + 1, sizeof(double));
    int max_rung = 0;
    for (size_t i = 0; i < np; i++) {
        steps[i] = (double)cs.pts[i].step;
        vals[i] = cs.pts[i].value;
    }
    for (size_t i = 0; i < d->n; i++) {
        if (d->trials[i].rung > max_rung) max_rung = d->trials[i].rung;
        n_curves += cs.first[i + 1] > cs.first[i];
    }
    int by_rung = is_multi_fidelity(d), banded = n_curves > CURVES_MAX;
    size_t n_lines = banded ? TOP_LINES : TOP_DETAILED;
    plot pl;
    plot_init(&pl, f, 1000, 440, 130);
    axis_fit(&pl.x, steps, np, 0);
    axis_fit(&pl.y, vals, np, 1);
    char title[200];
    if (banded)
        snprintf(title, sizeof title, "Learning curves of %s: the top %d trials (top %d bold), the rest as "
                 "median and 10-90%% band%s", d->spec->metric, TOP_LINES, TOP_DETAILED, by_rung ? " per rung" : "");
    else
        snprintf(title, sizeof title, "Learning curves of %s: all trials, the top %d bold%s", d->spec->metric,
                 TOP_DETAILED, by_rung ? ", coloured by rung" : "");
    fputs("<section id=\"curves-section\">\n<h2>Learning curves</h2>\n<figure>\n", f);
    plot_begin(&pl, "curves", title, "step", d->spec->metric);
    int *rank_of = top_trials(d, n_lines);
    const char *grey = "#8c8c8c";
    if (banded) draw_curve_bands(&pl, d, &cs, by_rung);
    else
        for (size_t t = 0; t < d->n; t++)
            if (rank_of[t] < 0) {
                int rung = d->trials[t].rung < 0 ? 0 : d->trials[t].rung;
                draw_curve(&pl, d, &cs, (long)t, "faint", by_rung ? palette[rung % N_COLOURS] : grey, FAINT_POINTS);
            }
    for (int r = (int)n_lines - 1; r >= 0; r--)   /* the best drawn last, on top */
        for (size_t t = 0; t < d->n; t++)
            if (rank_of[t] == r) {
                int rung = d->trials[t].rung < 0 ? 0 : d->trials[t].rung;
                if (r >= TOP_DETAILED) draw_curve(&pl, d, &cs, (long)t, "mid", "#333333", BOLD_POINTS);
                else draw_curve(&pl, d, &cs, (long)t, "bold", palette[(by_rung ? rung : r) % N_COLOURS], BOLD_POINTS);
            }
    if (np == 0) plot_note(&pl, "no reports of the objective metric yet");
    char text[64];
    int row = 0;
    if (by_rung)
        for (int r = 0; r <= max_rung && r < 20; r++) {
            snprintf(text, sizeof text, "%s %d", is_pbt(d) ? "generation" : "rung", r);
            legend_entry(&pl, row++, r, text);
        }
    else
        for (size_t r = 0; r < d->n_ranked && r < TOP_DETAILED; r++) {
            snprintf(text, sizeof text, "#%zu trial %ld", r + 1, d->ranking[r]);
            legend_entry(&pl, row++, (int)r, text);
        }
    if (banded && d->n_ranked > TOP_DETAILED) {
        snprintf(text, sizeof text, "#%d-#%zu", TOP_DETAILED + 1, d->n_ranked < TOP_LINES ? d->n_ranked : TOP_LINES);
        legend_swatch(&pl, row++, "#333333", text);
    }
    if (banded && !by_rung) legend_swatch(&pl, row++, "#c5c5c5", "others: 10-90%");
    plot_end(&pl);
    fprintf(f, "<figcaption>%zu reports of %s by %zu trials. ", np, d->spec->metric, n_curves);
    if (banded)
        fprintf(f, "Too many to draw one by one: the top %d trials are lines (the top %d bold), and the reports "
                   "of all trials are summarised %s: a bar per step spans their 10-90%% quantiles, the dashed "
                   "line is their median. Hover a bar for its numbers; a trial is reachable from the top-trials "
                   "table. ",
                TOP_LINES, TOP_DETAILED, by_rung ? "per rung, in its colour" : "in grey");
    if (by_rung) fputs("A trial that resumed another's checkpoint continues its curve. ", f);
    fputs("Hover a line for its trial and config.</figcaption>\n</figure>\n</section>\n", f);
    free(rank_of);
    free(steps);
    free(vals);
    curves_free(&cs);
}

/* ------------------------------------------------------------------ */
/* one scatter per parameter                                            */

/* A trial's jitter within its category, fixed by its id (so the page is the
 * same every time it is written): within +-0.25 of a category's width. */
static double jitter(long t)
{
    uint32_t h = (uint32_t)t * 2654435761u;
    h ^= h >> 15;
    return ((double)(h % 1000) / 1000.0 - 0.5) * 0.5;
}

/* A summarised scatter of a choice, or of an int with few values, gets a
 * box per value: shading would smear the values' columns together. */
static int boxed(const hpo_param *par)
{
    return par->type == HPO_PARAM_CHOICE || (par->type == HPO_PARAM_INT && par->high - par->low < BOX_MAX_VALUES);
}

/* Where on the x axis trial t's value v goes: a choice's (and a boxed int's)
 * trials spread over their column, so that they do not all fall on one line. */
static double param_x(const hpo_param *par, double v, long t, int summarised)
{
    if (par->type == HPO_PARAM_CHOICE) return v + jitter(t);
    if (summarised && boxed(par)) return v + jitter(t) * 0.8;
    return v;
}

/* The density cells of a summarised scatter of n trials: about eight
 * trials a cell on average, at most DENSITY_X x DENSITY_Y, so that the
 * shading is smooth at a thousand trials and detailed at a hundred thousand. */
static void density_grid(size_t n, long *cols, long *rows)
{
    long c = lround(sqrt((double)n / 8 * DENSITY_X / DENSITY_Y));
    *cols = c < 8 ? 8 : c > DENSITY_X ? DENSITY_X : c;
    *rows = *cols * DENSITY_Y / DENSITY_X;
}

/* The column (0..n) of a value of a summarised scatter: its value's for a
 * boxed parameter, else one of `cols` equal columns.  *n is how many. */
static long param_column(const plot *pl, const hpo_param *par, double v, long cols, long *n)
{
    if (boxed(par)) {
        *n = par->type == HPO_PARAM_CHOICE ? par->n_choices : (long)(par->high - par->low) + 1;
        long c = par->type == HPO_PARAM_CHOICE ? (long)v : (long)llround(v - par->low);
        return c < 0 ? 0 : c >= *n ? *n - 1 : c;
    }
    *n = cols;
    return column_of(&pl->x, v, cols);
}

/* Column c's pixels [*a, *b] and what it holds, as tooltip text. */
static void param_column_span(const plot *pl, const hpo_param *par, long c, long n, double *a, double *b, char *text,
                              size_t len)
{
    if (boxed(par)) {
        double v = par->type == HPO_PARAM_CHOICE ? (double)c : par->low + (double)c, mid = axis_px(&pl->x, v);
        double half = fmin(22, 0.3 * (pl->x1 - pl->x0) / (double)(n > 1 ? n : 1));
        char buf[64];
        *a = mid - half;
        *b = mid + half;
        snprintf(text, len, "%s = %s", par->name, value_text(par, v, buf, sizeof buf));
        return;
    }
    double w = (pl->x1 - pl->x0) / (double)n;
    *a = pl->x0 + w * (double)c;
    *b = *a + w;
    snprintf(text, len, "%s from %.4g to %.4g", par->name, axis_at(&pl->x, (double)c / (double)n),
             axis_at(&pl->x, (double)(c + 1) / (double)n));
}

/* The failed trials of a summarised scatter: a red bar per column above
 * the plot, its height by how many failed there. */
static void draw_fail_bars(plot *pl, const hpo_report_data *d, int p, double base, long cols)
{
    const hpo_param *par = &d->spec->space.params[p];
    long n = 0;
    param_column(pl, par, 0, cols, &n);
    size_t *count = xcalloc((size_t)n, sizeof *count), max = 0;
    for (size_t i = 0; i < d->n; i++)
        if (status_is_failure(d->trials[i].status) && !isnan(d->config[p][i])) {
            size_t c = (size_t)param_column(pl, par, d->config[p][i], cols, &n);
            if (++count[c] > max) max = count[c];
        }
    for (long c = 0; c < n; c++) {
        if (!count[c]) continue;
        double a, b, h = 3 + 11 * (double)count[c] / (double)max;
        char text[200];
        param_column_span(pl, par, c, n, &a, &b, text, sizeof text);
        fprintf(pl->f, "<rect class=\"failbar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%zu failed "
                       "trials with ", a + 0.5, base - h, fmax(b - a - 1, 1), h, count[c]);
        esc(pl->f, text);
        fputs(" (the failures table says why)</title></rect>\n", pl->f);
    }
    free(count);
}

/* The completed trials of a summarised scatter, per column: a box for a
 * boxed parameter (quartiles, median, whiskers at 5% and 95%), else cells
 * shaded by how many trials fall in them. */
static void draw_mass(plot *pl, const hpo_report_data *d, int p, long cols, long grid_rows)
{
    const hpo_param *par = &d->spec->space.params[p];
    int box = boxed(par);
    long n = 0, rows = box ? 1 : grid_rows;
    param_column(pl, par, 0, cols, &n);
    binned *b = xcalloc(d->n + 1, sizeof *b);
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++) {
        const hpo_trial_row *r = &d->trials[i];
        double v = d->config[p][i];
        if (isnan(v) || !is_completed(r) || !axis_shows(&pl->y, r->objective)) continue;
        long row = box ? 0 : column_of(&pl->y, r->objective, rows);
        b[k++] = (binned){param_column(pl, par, v, cols, &n) * rows + row, r->objective};
    }
    bin_sort(b, k, n * rows);
    size_t max = 0;
    for (size_t at = 0, run; at < k; at += run) {
        for (run = 1; at + run < k && b[at + run].bin == b[at].bin; run++) {}
        if (run > max) max = run;
    }
    double *vals = xcalloc(k + 1, sizeof(double)), ch = (pl->y1 - pl->y0) / (double)rows;
    for (size_t at = 0, run; at < k; at += run) {
        run = bin_run(b, k, at, vals);
        long c = b[at].bin / rows, row = b[at].bin % rows;
        double xa, xb;
        char text[200];
        param_column_span(pl, par, c, n, &xa, &xb, text, sizeof text);
        if (!box) {
            char fill[8];
            mix("#e3e7ec", "#2b3947", max > 1 ? log((double)run) / log((double)max) : 0.6, fill);
            fprintf(pl->f, "<rect class=\"cell\" fill=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                           "height=\"%.1f\"><title>%zu completed trials with ",
                    fill, xa, pl->y1 - ch * (double)(row + 1), xb - xa, ch, run);
            esc(pl->f, text);
            fputs(" and ", pl->f);
            esc(pl->f, d->spec->metric);
            fprintf(pl->f, " from %.4g to %.4g</title></rect>\n", axis_at(&pl->y, (double)row / (double)rows),
                    axis_at(&pl->y, (double)(row + 1) / (double)rows));
            continue;
        }
        double q[5] = {0.05, 0.25, 0.5, 0.75, 0.95}, y[5], cx = (xa + xb) / 2;
        for (int i = 0; i < 5; i++) {
            q[i] = quantile(vals, run, q[i]);
            y[i] = axis_px(&pl->y, q[i]);
        }
        fputs("<g class=\"box\"><title>", pl->f);
        esc(pl->f, text);
        fprintf(pl->f, ": %zu completed trials; ", run);
        esc(pl->f, d->spec->metric);
        fprintf(pl->f, " median %.4g, quartiles %.4g to %.4g, 5-95%% quantiles %.4g to %.4g, best %.4g</title>"
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
                       "<line class=\"med\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
                q[2], q[1], q[3], q[0], q[4], d->spec->maximize ? vals[run - 1] : vals[0], cx, y[0], cx, y[4], xa,
                fmin(y[1], y[3]), xb - xa, fmax(fabs(y[1] - y[3]), 1), xa, y[2], xb, y[2]);
    }
    free(vals);
    free(b);
}

/* How many of the best TOP_POINTS completed trials a summarised scatter
 * draws as dots, worst first so the best lie on top. */
static size_t draw_top_points(plot *pl, const hpo_report_data *d, int p, const levels *lv)
{
    const hpo_param *par = &d->spec->space.params[p];
    size_t shown = 0;
    for (size_t r = d->n_ranked < TOP_POINTS ? d->n_ranked : TOP_POINTS; r-- > 0;) {
        long t = d->ranking[r];
        const hpo_trial_row *row = &d->trials[t];
        double v = d->config[p][t];
        if (isnan(v) || !is_completed(row) || !axis_shows(&pl->y, row->objective)) continue;
        int c = lv->n > 0 ? level_index(lv, row->budget) : 0;
        fprintf(pl->f, "<circle class=\"dot topdot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.4\" fill=\"%s\">",
                axis_px(&pl->x, param_x(par, v, t, 1)), axis_px(&pl->y, row->objective),
                lv->n > 1 ? palette[c % N_COLOURS] : "#f28e2b");
        trial_title(pl->f, d, t);
        fputs("</circle>\n", pl->f);
        shown++;
    }
    return shown;
}

static void scatter_param(FILE *f, const hpo_report_data *d, int p, const levels *lv, const double *obj)
{
    const hpo_param *par = &d->spec->space.params[p];
    const double *col = d->config[p];
    int summarise = d->summary.n_completed > DOTS_MAX;
    plot pl;
    plot_init(&pl, f, 440, 320, 20);
    pl.y0 = 46;   /* room above the plot for the failed trials */
    axis_param(&pl.x, par);
    axis_fit(&pl.y, obj, d->n, 1);
    char id[160], title[160];
    snprintf(id, sizeof id, "scatter-%s", par->name);
    snprintf(title, sizeof title, "%s vs %s", d->spec->metric, par->name);
    fputs("<figure>\n", f);
    plot_begin(&pl, id, title, par->name, d->spec->metric);
    size_t shown = 0, inactive = 0, failed = 0, dots = 0;
    for (size_t i = 0; i < d->n; i++) {
        const hpo_trial_row *r = &d->trials[i];
        if (isnan(col[i])) inactive += is_completed(r);
        else if (status_is_failure(r->status)) failed++;
        else shown += is_completed(r) && axis_shows(&pl.y, r->objective);
    }
    double fy = pl.y0 - 8;
    long cols, rows;
    density_grid(shown, &cols, &rows);
    if (failed > FAILS_MAX) draw_fail_bars(&pl, d, p, fy + 4, cols);
    if (summarise) {
        draw_mass(&pl, d, p, cols, rows);
        dots = draw_top_points(&pl, d, p, lv);
    }
    for (size_t i = 0; i < d->n; i++) {
        const hpo_trial_row *r = &d->trials[i];
        double v = col[i];
        if (isnan(v)) continue;
        double px = axis_px(&pl.x, param_x(par, v, (long)i, summarise));
        if (status_is_failure(r->status) && failed <= FAILS_MAX) {
            fprintf(f, "<path class=\"fail\" d=\"M%.1f %.1fl6 6m0 -6l-6 6\">", px - 3, fy - 3);
            trial_title(f, d, (long)i);
            fputs("</path>\n", f);
        }
        if (summarise || !is_completed(r) || !axis_shows(&pl.y, r->objective)) continue;
        int c = lv->n > 0 ? level_index(lv, r->budget) : 0;
        fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\">", px,
                axis_px(&pl.y, r->objective), palette[c % N_COLOURS]);
        trial_title(f, d, (long)i);
        fputs("</circle>\n", f);
    }
    long best = d->summary.best;
    if (best >= 0 && !isnan(col[best]) && axis_shows(&pl.y, d->trials[best].objective)) {
        double px = axis_px(&pl.x, param_x(par, col[best], best, summarise));
        fprintf(f, "<circle class=\"best\" cx=\"%.1f\" cy=\"%.1f\" r=\"7\">", px,
                axis_px(&pl.y, d->trials[best].objective));
        trial_title(f, d, best);
        fputs("</circle>\n", f);
    }
    if (failed) fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">failed</text>\n",
                        pl.x0 - 5, fy + 3);
    if (shown == 0) plot_note(&pl, "no completed trial yet");
    plot_end(&pl);
    if (!summarise)
        fprintf(f, "<figcaption>%zu completed trials%s; the best circled", shown,
                lv->n > 1 ? ", coloured by budget as above" : "");
    else if (boxed(par))
        fprintf(f, "<figcaption>%zu completed trials, summarised per value: the box spans the quartiles, the black "
                   "line is the median, the whiskers the 5-95%% quantiles (hover a box for its numbers)%s; the best "
                   "%zu are dots%s, the best circled", shown, lv->n > 1 ? ", all budgets together" : "", dots,
                lv->n > 1 ? ", coloured by budget as above" : "");
    else
        fprintf(f, "<figcaption>%zu completed trials, summarised: the shading counts them per cell, darker where "
                   "more (hover a cell for its count)%s; the best %zu are dots%s, the best circled", shown,
                lv->n > 1 ? ", all budgets together" : "", dots, lv->n > 1 ? ", coloured by budget as above" : "");
    if (failed > FAILS_MAX) fprintf(f, "; %zu failed (red bars, top, taller where more failed)", failed);
    else if (failed) fprintf(f, "; %zu failed (crosses, top)", failed);
    if (inactive) fprintf(f, "; %zu where %s was inactive", inactive, par->name);
    fprintf(f, "; x: the search range%s.</figcaption>\n</figure>\n", par->log ? ", log scale" : "");
}

static void write_params(FILE *f, const hpo_report_data *d, const levels *lv, const double *obj)
{
    fputs("<section id=\"params\">\n<h2>Objective against each parameter</h2>\n<p class=\"meta\">The "
          "playbook's basic hyperparameter axis plots: a best at the edge of a range says the range may be too "
          "small; a flat band says the parameter matters little.</p>\n<div class=\"charts\">\n", f);
    for (int p = 0; p < d->spec->space.n; p++) scatter_param(f, d, p, lv, obj);
    fputs("</div>\n</section>\n", f);
}

/* ------------------------------------------------------------------ */
/* parallel coordinates                                                 */

/* The best trial of each distinct config, best first: a config promoted
 * through the rungs (or a PBT member that continued) is one config, shown
 * once, at its highest budget.  Returns how many; *out is allocated. */
static size_t distinct_configs(const hpo_report_data *d, long **out)
{
    char *seen = xcalloc(d->n + 1, 1);
    size_t k = 0;
    *out = xcalloc(d->n_ranked + 1, sizeof(long));
    for (size_t r = 0; r < d->n_ranked; r++) {
        long t = d->ranking[r];
        long o = playbook_config_origin(d->spec, d->trials, (const double *const *)d->config, d->n, t);
        if (seen[o]) continue;
        seen[o] = 1;
        (*out)[k++] = t;
    }
    free(seen);
    return k;
}

/* Which of the top m ranks parallel coordinates draws, best first: all of
 * them up to PC_MAX; past that the best PC_BEST and an even sample of the
 * rest (every stride-th rank), so that the lines never fill the chart.
 * Returns how many; *stride is 1 when nothing was left out. */
static size_t parallel_ranks(size_t m, size_t **out, size_t *stride)
{
    *out = xcalloc(m + 1, sizeof(size_t));
    *stride = 1;
    size_t k = 0;
    if (m <= PC_MAX) {
        for (size_t r = 0; r < m; r++) (*out)[k++] = r;
        return k;
    }
    *stride = (m - PC_BEST + (PC_MAX - PC_BEST) - 1) / (PC_MAX - PC_BEST);
    for (size_t r = 0; r < PC_BEST; r++) (*out)[k++] = r;
    for (size_t r = PC_BEST; r < m; r += *stride) (*out)[k++] = r;
    return k;
}

static void write_parallel(FILE *f, const hpo_report_data *d)
{
    const hpo_space *sp = &d->spec->space;
    long *best = NULL;
    size_t n_configs = distinct_configs(d, &best);
    size_t m = (size_t)ceil(TOP_FRACTION * (double)n_configs), *ranks = NULL, stride = 1;
    size_t n_drawn = parallel_ranks(m, &ranks, &stride);
    int n_axes = sp->n + 1;
    double spacing = 130, top = 56, bottom = 330;
    double w = 90 + spacing * (n_axes - 1) + 90, h = 370;
    axis *ax = xcalloc((size_t)n_axes, sizeof *ax);
    for (int p = 0; p < sp->n; p++) axis_param(&ax[p], &sp->params[p]);
    double *objs = xcalloc(m + 1, sizeof(double));
    for (size_t r = 0; r < m; r++) objs[r] = d->trials[best[r]].objective;
    axis_fit(&ax[sp->n], objs, m, 0);
    for (int a = 0; a < n_axes; a++) {
        ax[a].p0 = bottom;
        ax[a].p1 = top;
    }
    if (!d->spec->maximize) {   /* the best at the top of the objective's axis */
        ax[sp->n].p0 = top;
        ax[sp->n].p1 = bottom;
    }
    fputs("<section id=\"parallel-section\">\n<h2>Parallel coordinates of the top configs</h2>\n<figure>\n", f);
    fprintf(f, "<svg id=\"parallel\" class=\"plot\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" aria-label=\"parallel coordinates\">\n<text class=\"title\" x=\"10\" y=\"18\">"
               "The top %.0f%% of the configs completed (%zu of %zu)",
            w, h, w, h, TOP_FRACTION * 100, m, n_configs);
    if (n_drawn < m) fprintf(f, ", %zu drawn", n_drawn);
    fputs("</text>\n", f);
    /* Lines first, the worst first so the best lie on top. */
    for (size_t i = n_drawn; i-- > 0;) {
        size_t r = ranks[i];
        long t = best[r];
        char colour[8];
        mix("#08306b", "#9ecae1", m > 1 ? (double)r / (double)(m - 1) : 0, colour);
        fprintf(f, "<path class=\"pc\" stroke=\"%s\" d=\"", colour);
        int pen = 0;
        for (int a = 0; a < n_axes; a++) {
            double v = a < sp->n ? d->config[a][t] : d->trials[t].objective;
            if (isnan(v) || !axis_shows(&ax[a], v)) { pen = 0; continue; }   /* inactive: a gap */
            fprintf(f, "%c%.1f %.1f ", pen ? 'L' : 'M', 90 + spacing * a, axis_px(&ax[a], v));
            pen = 1;
        }
        fputs("\">", f);
        trial_title(f, d, t);
        fputs("</path>\n", f);
    }
    for (int a = 0; a < n_axes; a++) {
        double x = 90 + spacing * a;
        fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                   "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                x, top, x, bottom, x, top - 14);
        esc(f, a < sp->n ? sp->params[a].name : d->spec->metric);
        if (a < sp->n && ax[a].log) fputs(" (log)", f);
        if (a == sp->n) fputs(" (best on top)", f);
        fputs("</text>\n", f);
        double t[64];
        char lab[64];
        int n = axis_ticks(&ax[a], t, 64);
        for (int i = 0; i < n; i++) {
            tick_label(&ax[a], t[i], lab, sizeof lab);
            fprintf(f, "<text class=\"tick halo\" x=\"%.1f\" y=\"%.1f\">", x + 5, axis_px(&ax[a], t[i]) + 4);
            esc(f, lab);
            fputs("</text>\n", f);
        }
    }
    if (m == 0)
        fprintf(f, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no completed trial yet</text>\n",
                w / 2, (top + bottom) / 2);
    fputs("</svg>\n<figcaption>One line per config, darker is better; each parameter's axis spans its search "
          "range; a gap is an inactive parameter", f);
    if (n_drawn < m)
        fprintf(f, "; sampled: of the top %zu configs, the best %d are drawn, and of the other %zu one in %zu by "
                   "rank (%zu lines), so that the lines stay apart",
                m, PC_BEST, m - PC_BEST, stride, n_drawn - PC_BEST);
    if (is_multi_fidelity(d))
        fputs("; a config that went on from its parent's checkpoint counts once, at its highest budget", f);
    fputs(".</figcaption>\n</figure>\n</section>\n", f);
    free(objs);
    free(ax);
    free(ranks);
    free(best);
}

/* ------------------------------------------------------------------ */
/* tables                                                               */

static void top_header(FILE *f, const hpo_report_data *d, const char *id)
{
    const hpo_space *sp = &d->spec->space;
    fprintf(f, "<table id=\"%s\">\n<tr><th>rank</th><th>trial</th><th>status</th><th>", id);
    esc(f, d->spec->metric);
    fputs("</th>", f);
    if (is_multi_fidelity(d)) fputs("<th>budget</th>", f);
    fputs("<th>runtime</th><th>node</th><th>GPU</th>", f);
    for (int p = 0; p < sp->n; p++) {
        fputs("<th>", f);
        esc(f, sp->params[p].name);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
}

/* The rows of ranks [from, to) of `hpo best`'s order. */
static void top_rows(FILE *f, const hpo_report_data *d, size_t from, size_t to)
{
    const hpo_space *sp = &d->spec->space;
    char buf[64];
    for (size_t r = from; r < d->n_ranked && r < to; r++) {
        long t = d->ranking[r];
        const hpo_trial_row *row = &d->trials[t];
        fprintf(f, "<tr><td class=\"n\">%zu</td><td class=\"n\">%ld</td><td>%s</td><td class=\"n\">%.10g</td>",
                r + 1, t, row->status, row->objective);
        if (is_multi_fidelity(d)) fprintf(f, "<td class=\"n\">%g</td>", row->budget);
        fprintf(f, "<td class=\"n\">%s</td><td>", duration_text(row->runtime_s, buf, sizeof buf));
        esc(f, row->node);
        fputs("</td><td>", f);
        esc(f, row->gpu);
        fputs("</td>", f);
        for (int p = 0; p < sp->n; p++) {
            char v[256];
            space_format_value(&sp->params[p], d->config[p][t], v, sizeof v);
            fputs("<td>", f);
            esc(f, v[0] ? v : "-");
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
}

/* The top 5, and folded under them the trials that the summarised charts
 * still draw one by one (the top curves and dots), so each is reachable. */
static void write_top(FILE *f, const hpo_report_data *d)
{
    fputs("<section id=\"top\">\n<h2>Top trials</h2>\n", f);
    top_header(f, d, "top-trials");
    top_rows(f, d, 0, TOP_DETAILED);
    fputs("</table>\n", f);
    size_t more = d->n_ranked < TOP_POINTS ? d->n_ranked : TOP_POINTS;
    if (more > TOP_DETAILED && d->summary.n_completed > DOTS_MAX) {
        fprintf(f, "<details id=\"top-more\">\n<summary>Ranks %d to %zu (the trials the summarised charts draw one "
                   "by one)</summary>\n", TOP_DETAILED + 1, more);
        top_header(f, d, "top-trials-more");
        top_rows(f, d, TOP_DETAILED, more);
        fputs("</table>\n</details>\n", f);
    }
    if (d->n_ranked == 0) fputs("<p>No completed trial yet.</p>\n", f);
    fputs("</section>\n", f);
}

/* Failed trials sorted by status, then reason, then id: a group is a run. */
static int fail_cmp(const void *a, const void *b, void *rows)
{
    const hpo_trial_row *x = (const hpo_trial_row *)rows + *(const long *)a,
                        *y = (const hpo_trial_row *)rows + *(const long *)b;
    int c = strcmp(x->status, y->status);
    if (c == 0) c = strcmp(x->reason, y->reason);
    return c ? c : (x->trial_id < y->trial_id ? -1 : 1);
}

typedef struct fail_group {
    size_t start, count;
} fail_group;

static int group_cmp(const void *a, const void *b)
{
    const fail_group *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->start < y->start ? -1 : 1;
}

static void write_failures(FILE *f, const hpo_report_data *d)
{
    long *ids = xcalloc(d->n + 1, sizeof(long));
    size_t k = 0, pruned = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (status_is_failure(d->trials[i].status)) ids[k++] = (long)i;
        pruned += strcmp(d->trials[i].status, HPO_STATUS_PRUNED) == 0;
    }
    qsort_r(ids, k, sizeof(long), fail_cmp, d->trials);
    fail_group *groups = xcalloc(k + 1, sizeof *groups);
    size_t ng = 0;
    for (size_t i = 0; i < k; i++) {
        if (i == 0 || strcmp(d->trials[ids[i - 1]].status, d->trials[ids[i]].status) != 0 ||
            strcmp(d->trials[ids[i - 1]].reason, d->trials[ids[i]].reason) != 0)
            groups[ng++] = (fail_group){i, 0};
        groups[ng - 1].count++;
    }
    qsort(groups, ng, sizeof *groups, group_cmp);
    fprintf(f, "<section id=\"failures\">\n<h2>Failures</h2>\n");
    if (k == 0) fputs("<p id=\"no-failures\">No trial failed.</p>\n", f);
    else {
        fprintf(f, "<table id=\"failures-table\">\n<caption>%zu failed trials, grouped by status and reason"
                   "</caption>\n<tr><th>status</th><th>reason</th><th>count</th><th>trials</th></tr>\n", k);
        for (size_t g = 0; g < ng; g++) {
            const hpo_trial_row *r = &d->trials[ids[groups[g].start]];
            fprintf(f, "<tr><td>%s</td><td>", r->status);
            esc(f, r->reason);
            fprintf(f, "</td><td class=\"n\">%zu</td><td>", groups[g].count);
            for (size_t i = 0; i < groups[g].count && i < 12; i++)
                fprintf(f, "%s%ld", i ? ", " : "", ids[groups[g].start + i]);
            if (groups[g].count > 12) fputs(", ...", f);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    if (pruned) fprintf(f, "<p>%zu trials were pruned by the median rule (not failures).</p>\n", pruned);
    fputs("</section>\n", f);
    free(groups);
    free(ids);
}

/* ------------------------------------------------------------------ */
/* PBT lineage                                                          */

static void write_lineage(FILE *f, const hpo_report_data *d, const double *obj)
{
    int members = 0, gens = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->trials[i].bracket + 1 > members) members = d->trials[i].bracket + 1;
        if (d->trials[i].rung + 1 > gens) gens = d->trials[i].rung + 1;
    }
    double colw = gens > 0 ? fmax(40, fmin(110, 900.0 / gens)) : 110;
    double rowh = members > 0 ? fmax(14, fmin(34, 700.0 / members)) : 34;
    double left = 80, top = 50, w = fmax(760, left + colw * (gens > 0 ? gens : 1) + 40), h = top + rowh * members + 64;
    double rad = fmin(8, fmin(colw, rowh) / 3);
    /* Colour: the objective within its generation (the best green, the
     * worst red), as PBT ranks members: a later generation trained longer,
     * so across generations the colour would only say that. */
    axis *oa = xcalloc((size_t)gens + 1, sizeof *oa);
    double *gen_obj = xcalloc(d->n + 1, sizeof(double));
    for (int g = 0; g < gens; g++) {
        for (size_t i = 0; i < d->n; i++) gen_obj[i] = d->trials[i].rung == g ? obj[i] : NAN;
        axis_fit(&oa[g], gen_obj, d->n, 0);
    }
    free(gen_obj);
    fputs("<section id=\"lineage-section\">\n<h2>PBT lineage</h2>\n<figure>\n", f);
    fprintf(f, "<svg id=\"lineage\" class=\"plot\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" aria-label=\"PBT lineage\">\n<text class=\"title\" x=\"10\" y=\"18\">Members x "
               "generations: an edge from the trial whose checkpoint each trial resumed</text>\n",
            w, h, w, h);
#define CX(t) (left + colw * d->trials[t].rung + colw / 2)
#define CY(t) (top + rowh * d->trials[t].bracket + rowh / 2)
    for (int g = 0; g < gens; g++)
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">gen %d</text>\n",
                left + colw * g + colw / 2, top - 8, g);
    for (int m = 0; m < members; m++)
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">member %d</text>\n", left - 6,
                top + rowh * m + rowh / 2 + 4, m);
    for (size_t i = 0; i < d->n; i++) {
        const hpo_trial_row *r = &d->trials[i];
        long p = (long)r->parent_id;
        if (p < 0 || (size_t)p >= d->n || r->bracket < 0 || r->rung < 0 || d->trials[p].bracket < 0 ||
            d->trials[p].rung < 0)
            continue;
        fprintf(f, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"><title>trial %zu resumed "
                   "trial %ld%s</title></line>\n",
                d->trials[p].bracket == r->bracket ? "cont" : "exploit", CX(p), CY(p), CX(i), CY(i), i, p,
                d->trials[p].bracket == r->bracket ? "" : " (exploit: copied another member)");
    }
    for (size_t i = 0; i < d->n; i++) {
        const hpo_trial_row *r = &d->trials[i];
        if (r->bracket < 0 || r->rung < 0) continue;
        char fill[8] = "#ffffff";
        if (is_completed(r)) {   /* green, through yellow, to red */
            double t = axis_t(&oa[r->rung], r->objective);
            if (d->spec->maximize) t = 1 - t;
            if (t < 0.5) mix("#1a9850", "#fdd835", 2 * t, fill);
            else mix("#fdd835", "#d73027", 2 * t - 1, fill);
        } else if (status_is_failure(r->status) || strcmp(r->status, HPO_STATUS_PRUNED) == 0)
            snprintf(fill, sizeof fill, "#222222");
        fprintf(f, "<circle class=\"node\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\">", CX(i), CY(i), rad, fill);
        trial_title(f, d, (long)i);
        fputs("</circle>\n", f);
    }
#undef CX
#undef CY
    fprintf(f, "<text class=\"tick\" x=\"10\" y=\"%.1f\">node: green the best of its generation, red the "
               "worst, black failed or pruned, white not finished</text>\n<text class=\"tick\" x=\"10\" "
               "y=\"%.1f\">edge: grey, the member continued; orange, it exploited (copied a better member's "
               "checkpoint, perturbed its config)</text>\n</svg>\n",
            h - 28, h - 12);
    free(oa);
    fputs("</figure>\n</section>\n", f);
}

static void write_spec(FILE *f, const hpo_report_data *d)
{
    fputs("<details id=\"spec\">\n<summary>The spec (frozen copy in the experiment)</summary>\n<pre>", f);
    if (d->spec->yaml) esc_n(f, d->spec->yaml, d->spec->yaml_len);
    fprintf(f, "</pre>\n</details>\n<p class=\"meta\">Written by hpo %s. Hover points and lines for their trials."
               "</p>\n</body>\n</html>\n",
            HPO_VERSION);
}

int report_html_write(FILE *f, const hpo_report_data *d)
{
    levels lv;
    levels_of(d, &lv);
    double *obj = objectives(d);
    write_head(f, d);
    write_summary(f, d);
    write_playbook(f, d);
    write_progress(f, d, &lv, obj);
    write_curves(f, d);
    write_params(f, d, &lv, obj);
    write_parallel(f, d);
    write_top(f, d);
    write_failures(f, d);
    if (is_pbt(d)) write_lineage(f, d, obj);
    write_spec(f, d);
    free(obj);
    free(lv.budget);
    if (fflush(f) != 0 || ferror(f)) return hpo_error(HPO_EIO, "writing the report failed");
    return 0;
}
