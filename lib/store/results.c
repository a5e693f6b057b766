/*
 * results.c -- results.h5, the analysis-ready view of an experiment, written
 * and read with the HDF5 1.10 C API (see results.h for the invariants and
 * README.md, "results.h5", for the layout).
 *
 * Layout (format_version 1), chosen so that h5py + numpy/pandas read it with
 * no hpo code at all:
 *   /            attrs: format, format_version, name, spec_yaml, spec_sha256,
 *                seed, objective, mode, created, writing (+ store_set_attr's)
 *   /trials      compound table, one row per trial, fields named as in
 *                struct hpo_trial_row; strings are fixed-size C strings
 *   /config/P    one column per parameter, aligned with /trials:
 *                float  float64, NaN = inactive
 *                int    int64, inactive = INT64_MIN (attr `missing`)
 *                choice int64 index into attr `choices`, inactive = -1
 *   /curves      compound long table (trial_id, step, metric, value, time)
 *   /rounds      compound table, one row per round (struct hpo_round_row)
 *   /optimizer   empty group, reserved for algorithms that keep state
 *
 * The whole of /trials, /config and /rounds is held in memory while the file
 * is open (they are small: a few hundred bytes per trial); changed rows are
 * written back at store_close with one hyperslab write per dataset.  /curves
 * can be large and is only appended to (one extent change + one write per
 * call) or read whole on request.
 *
 * Files are written in HDF5's earliest format bounds, but track free space
 * persistently (make_fcpl), so HDF5 >= 1.10 is needed to read them.
 *
 * Every HDF5 failure becomes one hpo_error() line naming the file, what
 * failed and HDF5's innermost reason; HDF5's own stderr stacks are silenced.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/results.h"
#include "core/util.h"
#include "store/publish.h"

#include <hdf5.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FORMAT_NAME        "hpo-results"
/* Chunk sizes, in rows.  Each write session rewrites the last, partial
 * chunk of every table it appends to, so chunks are kept small enough for
 * that to be cheap when a driver ingests one round of 8 trials per run
 * (bench/ingest --reopen --batch 8: 2048-row curve chunks ingest 1.6x as
 * fast as 8192-row ones, for a file 3% larger). */
#define TRIALS_CHUNK       256       /* /trials rows: 90 KiB raw */
#define CONFIG_CHUNK       1024      /* /config/P rows: 8 KiB raw */
#define CURVES_CHUNK       2048      /* /curves rows: 128 KiB raw */
#define ROUNDS_CHUNK       256
/* zlib level 1: 1.4x as fast as level 4 or 6 on curve data, for a file
 * 3-4% larger (bench/ingest); ingest speed matters more. */
#define DEFLATE_LEVEL      1
#define OPEN_RETRY_SECONDS 5.0       /* while another process holds the file */
#define OPEN_RETRY_SLEEP_NS 50000000L
#define INT_MISSING        INT64_MIN /* an inactive int parameter in /config */
#define CHOICE_MISSING     (-1)      /* an inactive choice parameter */
/* An attribute lives in its object header, whose messages are limited to
 * 64 KiB in the default (earliest) file format. */
#define ATTR_MAX           65000

/* One /config column, in memory in the space.h encoding. */
typedef struct column {
    char *name;
    hid_t ds;
    hpo_param_type type;
    int n_choices;
    double *v;                 /* n_trials values, capacity cap_trials */
} column;

struct hpo_store {
    char *path;
    hid_t file;
    int writable;
    hid_t t_trial, t_curve, t_round;       /* in-memory compound types */
    hid_t d_trials, d_curves, d_rounds;

    hpo_trial_row *trials;
    size_t n_trials, cap_trials;
    size_t n_trials_file;                  /* rows the file holds now */
    size_t dirty_lo, dirty_hi;             /* rows to write back; lo >= hi: none */

    int has_spec;                          /* opened with a spec: configs held */
    int n_params;
    column *cols;

    hpo_round_row *rounds;
    size_t n_rounds, cap_rounds, n_rounds_file;
    size_t rdirty_lo, rdirty_hi;

    size_t n_curves;

    int session;                           /* a write session is open (publish.h) */
    int changed;                           /* this session changed something */
    char *publish_to;                      /* publish at close to this path, or NULL */
    int publish_force;
};

/* ---------------------------------------------------------------- errors */

/* HDF5 prints an error stack to stderr on every failure unless told not to;
 * hpo reports one line of its own instead. */
static void h5_init(void)
{
    static int done;
    if (!done) {
        /* No HDF5 shutdown at exit: after a write failed (a full disk),
         * HDF5 1.10's own atexit close of the file it could not close
         * crashes in H5F__close_cb.  Every file is closed by store_close,
         * and one that failed has its `writing` flag set, so nothing is
         * lost by skipping it. */
        H5dont_atexit();
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

typedef struct walk_state {
    char desc[256];            /* innermost error's description */
    int lock_failed;           /* some entry says "unable to lock file" */
    int sys_errno;             /* errno a failed system call reported, or 0 */
} walk_state;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    walk_state *w = data;
    if (n == 0 && e->desc) snprintf(w->desc, sizeof w->desc, "%s", e->desc);
    if (e->min_num == H5E_CANTLOCKFILE) w->lock_failed = 1;
    /* The sec2 driver says "..., errno = 28, error message = '...', ...". */
    const char *p = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (p && !w->sys_errno) w->sys_errno = atoi(p + 8);
    return 0;
}

/* Inspect (and clear) the current HDF5 error stack. */
static walk_state h5_last_error(void)
{
    walk_state w = { "", 0, 0 };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &w);
    H5Eclear2(H5E_DEFAULT);
    return w;
}

/* errno of the last failed fsync (file_sync), for h5_fail. */
static __thread int sync_errno;

/* "PATH: <what> (HDF5: <reason>)" as the thread's error; returns code.  A
 * full disk or quota says so, with the space left, instead of HDF5's text. */
static int h5_fail(int code, const char *path, const char *fmt, ...) HPO_PRINTF(3, 4);
static int h5_fail(int code, const char *path, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    walk_state w = h5_last_error();
    if (!w.sys_errno) w.sys_errno = sync_errno;
    sync_errno = 0;
    if (w.sys_errno == ENOSPC || w.sys_errno == EDQUOT)
        return hpo_error(code, "%s: %s: %s", path, what, io_strerror(w.sys_errno, path));
    if (w.desc[0])
        return hpo_error(code, "%s: %s (HDF5: %s)", path, what, w.desc);
    return hpo_error(code, "%s: %s", path, what);
}

/* ------------------------------------------------------- compound types */

typedef enum { K_I32, K_I64, K_F64, K_STR } kind;

typedef struct field {
    const char *name;
    size_t off, size;
    kind k;
} field;

#define FIELD(T, m, k) { #m, offsetof(T, m), sizeof(((T *)0)->m), k }

static const field trial_fields[] = {
    FIELD(hpo_trial_row, trial_id, K_I64),
    FIELD(hpo_trial_row, round, K_I32),
    FIELD(hpo_trial_row, array_index, K_I32),
    FIELD(hpo_trial_row, parent_id, K_I64),
    FIELD(hpo_trial_row, budget, K_F64),
    FIELD(hpo_trial_row, bracket, K_I32),
    FIELD(hpo_trial_row, rung, K_I32),
    FIELD(hpo_trial_row, status, K_STR),
    FIELD(hpo_trial_row, objective, K_F64),
    FIELD(hpo_trial_row, exit_code, K_I32),
    FIELD(hpo_trial_row, signal, K_I32),
    FIELD(hpo_trial_row, slurm_job_id, K_I64),
    FIELD(hpo_trial_row, node, K_STR),
    FIELD(hpo_trial_row, start_time, K_F64),
    FIELD(hpo_trial_row, end_time, K_F64),
    FIELD(hpo_trial_row, runtime_s, K_F64),
    FIELD(hpo_trial_row, max_rss_kb, K_I64),
    FIELD(hpo_trial_row, gpu, K_STR),
    FIELD(hpo_trial_row, reason, K_STR),
};

static const field curve_fields[] = {
    FIELD(hpo_curve_row, trial_id, K_I64),
    FIELD(hpo_curve_row, step, K_I64),
    FIELD(hpo_curve_row, metric, K_STR),
    FIELD(hpo_curve_row, value, K_F64),
    FIELD(hpo_curve_row, time, K_F64),
};

static const field round_fields[] = {
    FIELD(hpo_round_row, round, K_I32),
    FIELD(hpo_round_row, kind, K_STR),
    FIELD(hpo_round_row, array_job_id, K_I64),
    FIELD(hpo_round_row, driver_job_id, K_I64),
    FIELD(hpo_round_row, n_trials, K_I32),
    FIELD(hpo_round_row, submitted_at, K_F64),
    FIELD(hpo_round_row, finished_at, K_F64),
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* A fixed-size, NUL-terminated C string of `size` bytes (h5py: bytes). */
static hid_t string_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return -1;
    if (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* The compound type of a struct: in memory (native types at the struct's
 * offsets) or in the file (little-endian, packed, so no padding is stored;
 * HDF5 matches members by name when converting between the two). */
static hid_t compound_type(const field *f, size_t n, size_t struct_size, int in_file)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += f[i].size;
    hid_t t = H5Tcreate(H5T_COMPOUND, in_file ? total : struct_size);
    if (t < 0) return -1;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        hid_t m;
        switch (f[i].k) {
        case K_I32: m = in_file ? H5T_STD_I32LE : H5T_NATIVE_INT32; break;
        case K_I64: m = in_file ? H5T_STD_I64LE : H5T_NATIVE_INT64; break;
        case K_F64: m = in_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE; break;
        default:    m = string_type(f[i].size); break;
        }
        herr_t r = m < 0 ? -1 : H5Tinsert(t, f[i].name, in_file ? off : f[i].off, m);
        if (f[i].k == K_STR && m >= 0) H5Tclose(m);
        if (r < 0) {
            H5Tclose(t);
            return -1;
        }
        off += f[i].size;
    }
    return t;
}

static hid_t trial_type(int in_file)
{
    return compound_type(trial_fields, NFIELDS(trial_fields), sizeof(hpo_trial_row), in_file);
}
static hid_t curve_type(int in_file)
{
    return compound_type(curve_fields, NFIELDS(curve_fields), sizeof(hpo_curve_row), in_file);
}
static hid_t round_type(int in_file)
{
    return compound_type(round_fields, NFIELDS(round_fields), sizeof(hpo_round_row), in_file);
}

/* ------------------------------------------------------------ attributes */

static herr_t attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                         hid_t space, const void *value)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0) return -1;
    hid_t a = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t r = H5Awrite(a, mtype, value);
    H5Aclose(a);
    return r;
}

static herr_t attr_write_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                                const void *value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0) return -1;
    herr_t r = attr_write(obj, name, ftype, mtype, s, value);
    H5Sclose(s);
    return r;
}

/* A fixed-length string attribute: h5py reads it as bytes, and fixed
 * lengths avoid the variable-length heap entirely. */
static herr_t attr_write_string(hid_t obj, const char *name, const char *value)
{
    hid_t t = string_type(strlen(value) + 1);
    if (t < 0) return -1;
    herr_t r = attr_write_scalar(obj, name, t, t, value);
    H5Tclose(t);
    return r;
}

/* A text too long for an attribute (a spec over ATTR_MAX bytes): a scalar
 * fixed-length string dataset of that name at the root instead (h5py:
 * f["spec_yaml"][()]), and no attribute of the name. */
static herr_t text_write_long(hid_t obj, const char *name, const char *value)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0) return -1;
    if (H5Lexists(obj, name, H5P_DEFAULT) > 0 && H5Ldelete(obj, name, H5P_DEFAULT) < 0) return -1;
    hid_t t = string_type(strlen(value) + 1), sp = H5Screate(H5S_SCALAR);
    hid_t d = t < 0 || sp < 0 ? -1 : H5Dcreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, value);
    if (d >= 0) H5Dclose(d);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return r;
}

/* A string attribute, or text_write_long's dataset when it is too long;
 * whichever it was before is replaced. */
static herr_t text_write(hid_t obj, const char *name, const char *value)
{
    if (strlen(value) > ATTR_MAX) return text_write_long(obj, name, value);
    if (H5Lexists(obj, name, H5P_DEFAULT) > 0 && H5Ldelete(obj, name, H5P_DEFAULT) < 0) return -1;
    return attr_write_string(obj, name, value);
}

/* An array of n fixed-length strings (sized to the longest). */
static herr_t attr_write_strings(hid_t obj, const char *name, char *const *v, int n)
{
    size_t w = 1;
    for (int i = 0; i < n; i++)
        if (strlen(v[i]) + 1 > w) w = strlen(v[i]) + 1;
    char *buf = xcalloc(n > 0 ? (size_t)n : 1, w);
    for (int i = 0; i < n; i++) memcpy(buf + (size_t)i * w, v[i], strlen(v[i]));
    hsize_t dim = (hsize_t)n;
    hid_t t = string_type(w);
    hid_t s = H5Screate_simple(1, &dim, NULL);
    herr_t r = (t < 0 || s < 0) ? -1 : attr_write(obj, name, t, t, s, buf);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    free(buf);
    return r;
}

static herr_t attr_write_i64(hid_t obj, const char *name, int64_t v)
{
    return attr_write_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

static herr_t attr_write_i32(hid_t obj, const char *name, int32_t v)
{
    return attr_write_scalar(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &v);
}

static herr_t attr_write_f64(hid_t obj, const char *name, double v)
{
    return attr_write_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* Read a scalar string attribute (fixed or variable length) into a new
 * string.  0, HPO_ENOTFOUND if absent, -1 (HDF5 error pending) otherwise. */
static int attr_read_string(hid_t obj, const char *name, char **out)
{
    *out = NULL;
    htri_t ex = H5Aexists(obj, name);
    if (ex == 0) return HPO_ENOTFOUND;
    if (ex < 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    hid_t sp = H5Aget_space(a);
    int r = -1;
    if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_STRING ||
        H5Sget_simple_extent_npoints(sp) != 1) {
        /* fall through with r = -1 */
    } else if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        char *s = NULL;
        if (mt >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0 && H5Aread(a, mt, &s) >= 0) {
            *out = xstrdup(s ? s : "");
            H5free_memory(s);
            r = 0;
        }
        if (mt >= 0) H5Tclose(mt);
    } else {
        /* Read into one byte more than the stored size, so the value is
         * NUL-terminated whatever its padding. */
        size_t n = H5Tget_size(ft);
        hid_t mt = string_type(n + 1);
        char *s = xcalloc(n + 2, 1);
        if (mt >= 0 && H5Aread(a, mt, s) >= 0) {
            *out = s;
            r = 0;
        } else {
            free(s);
        }
        if (mt >= 0) H5Tclose(mt);
    }
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return r;
}

/* Read a scalar integer attribute.  0, HPO_ENOTFOUND, or -1. */
static int attr_read_i64(hid_t obj, const char *name, int64_t *out)
{
    htri_t ex = H5Aexists(obj, name);
    if (ex == 0) return HPO_ENOTFOUND;
    if (ex < 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    int r = -1;
    if (ft >= 0 && H5Tget_class(ft) == H5T_INTEGER &&
        H5Aread(a, H5T_NATIVE_INT64, out) >= 0)
        r = 0;
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    return r;
}

/* ---------------------------------------------------------------- create */

/* An empty, extendible, chunked 1-D dataset.  `fill` (in native type
 * `fill_type`) is what rows read as before they are written, or NULL. */
static hid_t create_column(hid_t loc, const char *name, hid_t ftype, hsize_t chunk,
                           int shuffle, hid_t fill_type, const void *fill)
{
    hsize_t dim = 0, maxdim = H5S_UNLIMITED;
    hid_t sp = H5Screate_simple(1, &dim, &maxdim);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t d = -1;
    if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 &&
        (!shuffle || H5Pset_shuffle(dcpl) >= 0) &&
        H5Pset_deflate(dcpl, DEFLATE_LEVEL) >= 0 &&
#ifndef HPO_NO_FLETCHER32
        /* A checksum per chunk: a flipped byte is an error on read, never
         * a silently different value (deflate alone let 8 of 154 flips
         * through; bench/ingest measures the cost). */
        H5Pset_fletcher32(dcpl) >= 0 &&
#endif
        (!fill || H5Pset_fill_value(dcpl, fill_type, fill) >= 0))
        d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return d;
}

static hid_t create_table(hid_t loc, const char *name, hid_t (*type)(int), hsize_t chunk)
{
    hid_t ft = type(1);
    if (ft < 0) return -1;
    /* Shuffle groups the bytes of the numeric fields, which roughly halves
     * the compressed size of curve data. */
    hid_t d = create_column(loc, name, ft, chunk, 1, -1, NULL);
    H5Tclose(ft);
    return d;
}

static const char *type_name(hpo_param_type t)
{
    return t == HPO_PARAM_FLOAT ? "float" : t == HPO_PARAM_INT ? "int" : "choice";
}

/* The choices of P: the attribute `choices` of /config/P, or, when they
 * are too many for an attribute (over ATTR_MAX bytes), the dataset
 * /choices/P of fixed-length strings, named by the attribute
 * `choices_dataset`. */
static herr_t write_choices(hid_t config, hid_t col, const hpo_param *p)
{
    size_t w = 1;
    for (int i = 0; i < p->n_choices; i++)
        if (strlen(p->choices[i]) + 1 > w) w = strlen(p->choices[i]) + 1;
    if (w * (size_t)p->n_choices <= ATTR_MAX) return attr_write_strings(col, "choices", p->choices, p->n_choices);
    hid_t f = H5Iget_file_id(config);
    if (f < 0) return -1;
    hid_t g = H5Lexists(f, "choices", H5P_DEFAULT) > 0 ? H5Gopen2(f, "choices", H5P_DEFAULT)
                                                       : H5Gcreate2(f, "choices", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    if (g < 0) return -1;
    char *buf = xcalloc((size_t)p->n_choices, w);
    for (int i = 0; i < p->n_choices; i++) memcpy(buf + (size_t)i * w, p->choices[i], strlen(p->choices[i]));
    hsize_t dim = (hsize_t)p->n_choices;
    hid_t t = string_type(w), sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = t < 0 || sp < 0 ? -1 : H5Dcreate2(g, p->name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (d >= 0) H5Dclose(d);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    H5Gclose(g);
    free(buf);
    if (r < 0) return -1;
    char *path = xasprintf("/choices/%s", p->name);
    r = attr_write_string(col, "choices_dataset", path);
    free(path);
    return r;
}

/* /config/P with its fill value (= inactive) and descriptive attributes. */
static int create_config_column(hid_t grp, const hpo_param *p)
{
    double nan_fill = NAN;
    int64_t int_fill = INT_MISSING, choice_fill = CHOICE_MISSING;
    hid_t d;
    if (p->type == HPO_PARAM_FLOAT)
        d = create_column(grp, p->name, H5T_IEEE_F64LE, CONFIG_CHUNK, 0,
                          H5T_NATIVE_DOUBLE, &nan_fill);
    else
        d = create_column(grp, p->name, H5T_STD_I64LE, CONFIG_CHUNK, 0, H5T_NATIVE_INT64,
                          p->type == HPO_PARAM_INT ? &int_fill : &choice_fill);
    if (d < 0) return -1;
    int ok = attr_write_string(d, "type", type_name(p->type)) >= 0 &&
             attr_write_i32(d, "log", p->log ? 1 : 0) >= 0;
    if (ok && p->type != HPO_PARAM_CHOICE)
        ok = attr_write_f64(d, "low", p->low) >= 0 && attr_write_f64(d, "high", p->high) >= 0;
    if (ok && p->type == HPO_PARAM_INT)
        ok = attr_write_i64(d, "missing", INT_MISSING) >= 0;
    if (ok && p->type == HPO_PARAM_CHOICE)
        ok = attr_write_i64(d, "missing", CHOICE_MISSING) >= 0 && write_choices(grp, d, p) >= 0;
    H5Dclose(d);
    return ok ? 0 : -1;
}

/* Parameter names become dataset names: '/' would make a path and "." is
 * the group itself. */
static int check_param_name(const char *path, const hpo_param *p)
{
    if (!p->name || !p->name[0] || strchr(p->name, '/') || strcmp(p->name, ".") == 0)
        return hpo_error(HPO_ERROR, "%s: parameter name '%s' cannot name an HDF5 dataset",
                         path, p->name ? p->name : "");
    return 0;
}

static void iso8601_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* Root attributes of a new file. */
static int write_root_attrs(hid_t f, const hpo_spec *spec)
{
    char created[32];
    iso8601_now(created, sizeof created);
    uint64_t seed = spec->seed;
    return attr_write_string(f, "format", FORMAT_NAME) >= 0 &&
           attr_write_i32(f, "format_version", HPO_FORMAT_VERSION) >= 0 &&
           attr_write_string(f, "name", str_or_empty(spec->name)) >= 0 &&
           text_write(f, "spec_yaml", str_or_empty(spec->yaml)) >= 0 &&
           attr_write_string(f, "spec_sha256", spec->sha256) >= 0 &&
           attr_write_scalar(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed) >= 0 &&
           attr_write_string(f, "objective", str_or_empty(spec->metric)) >= 0 &&
           attr_write_string(f, "mode", spec->maximize ? "max" : "min") >= 0 &&
           attr_write_string(f, "created", created) >= 0 &&
           attr_write_i32(f, "writing", 0) >= 0
        ? 0 : -1;
}

/* Every dataset and group of an empty file. */
static int write_layout(hid_t f, const hpo_spec *spec, const char **what)
{
    hid_t d;
    *what = "create /trials";
    if ((d = create_table(f, "trials", trial_type, TRIALS_CHUNK)) < 0) return -1;
    H5Dclose(d);
    *what = "create /curves";
    if ((d = create_table(f, "curves", curve_type, CURVES_CHUNK)) < 0) return -1;
    H5Dclose(d);
    *what = "create /rounds";
    if ((d = create_table(f, "rounds", round_type, ROUNDS_CHUNK)) < 0) return -1;
    H5Dclose(d);
    *what = "create /optimizer";
    hid_t g = H5Gcreate2(f, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    H5Gclose(g);
    *what = "create /config";
    /* Track creation order so /config lists the parameters as the spec
     * declares them (h5py iterates groups in name order otherwise). */
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (gcpl < 0) return -1;
    H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    g = H5Gcreate2(f, "config", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0) return -1;
    for (int i = 0; i < spec->space.n; i++) {
        *what = "create a /config column";
        if (create_config_column(g, &spec->space.params[i]) < 0) {
            H5Gclose(g);
            return -1;
        }
    }
    H5Gclose(g);
    return 0;
}

/* Flush HDF5's caches and fsync, so the bytes are on disk in order: the
 * `writing` flag must reach the disk before the data it guards. */
static int file_sync(hid_t f)
{
    if (H5Fflush(f, H5F_SCOPE_LOCAL) < 0) return -1;
    void *h = NULL;
    if (H5Fget_vfd_handle(f, H5P_DEFAULT, &h) >= 0 && h) {
        if (fsync(*(int *)h) != 0 && errno != EINVAL) {
            sync_errno = errno;
            return -1;
        }
    } else {
        H5Eclear2(H5E_DEFAULT);
    }
    return 0;
}

/* File access properties shared by create and open. */
static hid_t make_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    /* Default (earliest) format bounds, not LATEST: a latest-format file
     * whose writer is killed can no longer be opened without h5clear
     * (docs/facts.md, "HDF5"), while an earliest-format one opens and our own `writing`
     * flag tells that it was cut off.  The cost: an attribute is limited
     * to 64 KiB. */
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST);
    /* Take HDF5's file lock (it keeps readers out while the one writer
     * works), but carry on where the filesystem has no flock (NFS,
     * Lustre): EXP/lock already serialises writers. */
    H5Pset_file_locking(fapl, 1, 1);
    return fapl;
}

/* File creation properties. */
static hid_t make_fcpl(void)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0) return -1;
    /* Keep track of free space across sessions.  Every session rewrites
     * the compressed last chunk of each table it grows, at a new address;
     * by default HDF5 forgets the old one at close, and a driver ingesting
     * one round per run leaked 4-10 KiB per round (bench/ingest: 2.8-4.9
     * MB instead of 1.9 MB for 2000 trials in rounds of 8).  The file then
     * needs HDF5 >= 1.10 to read (superblock version 2, still not the
     * latest format: killed writers leave it openable, as tested with 100
     * SIGKILLs at random moments). */
    if (H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_FSM_AGGR, 1, 1) < 0) {
        H5Pclose(fcpl);
        return -1;
    }
    return fcpl;
}

int store_create(const char *path, const hpo_spec *spec)
{
    h5_init();
    if (path_exists(path))
        return hpo_error(HPO_ERROR, "%s: already exists", path);
    for (int i = 0; i < spec->space.n; i++) {
        int r = check_param_name(path, &spec->space.params[i]);
        if (r < 0) return r;
    }
    /* Build the file under a temporary name and rename it into place, so
     * the path holds a complete file or none, whatever happens meanwhile. */
    char *tmp = xasprintf("%s.tmp", path);
    unlink(tmp);
    hid_t fapl = make_fapl(), fcpl = make_fcpl();
    hid_t f = fapl < 0 || fcpl < 0 ? -1 : H5Fcreate(tmp, H5F_ACC_EXCL, fcpl, fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    if (f < 0) {
        int r = h5_fail(HPO_EIO, path, "cannot create %s", tmp);
        unlink(tmp);   /* HDF5 may have made it before failing */
        free(tmp);
        return r;
    }
    const char *what = "write the root attributes";
    int ok = write_root_attrs(f, spec) == 0 && write_layout(f, spec, &what) == 0;
    if (ok) {
        what = "flush";
        ok = file_sync(f) == 0;
    }
    int r = ok ? 0 : h5_fail(HPO_EIO, path, "cannot %s", what);
    if (H5Fclose(f) < 0 && r == 0) r = h5_fail(HPO_EIO, path, "cannot close %s", tmp);
    /* The user's umask decides who reads the results, but the file is never
     * world-writable: everything else depends on it. */
    struct stat sb;
    if (r == 0 && stat(tmp, &sb) == 0 && (sb.st_mode & S_IWOTH)) chmod(tmp, sb.st_mode & 0775);
    if (r == 0 && rename(tmp, path) != 0)
        r = hpo_error(HPO_EIO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
    if (r == 0) r = fsync_parent_dir(path);
    if (r < 0) unlink(tmp);
    free(tmp);
    return r;
}

/* ------------------------------------------------------------------ open */

/* Free everything and close every handle, writing nothing. */
static void store_free(hpo_store *st)
{
    if (!st) return;
    for (int i = 0; i < st->n_params; i++) {
        if (st->cols[i].ds >= 0) H5Dclose(st->cols[i].ds);
        free(st->cols[i].v);
        free(st->cols[i].name);
    }
    free(st->cols);
    hid_t ds[] = { st->d_trials, st->d_curves, st->d_rounds };
    for (size_t i = 0; i < 3; i++)
        if (ds[i] >= 0) H5Dclose(ds[i]);
    hid_t ts[] = { st->t_trial, st->t_curve, st->t_round };
    for (size_t i = 0; i < 3; i++)
        if (ts[i] >= 0) H5Tclose(ts[i]);
    if (st->file >= 0) H5Fclose(st->file);
    if (st->session) publish_session_end(st->path, NULL, 0, 0);
    free(st->trials);
    free(st->rounds);
    free(st->publish_to);
    free(st->path);
    free(st);
}

/* H5Fopen, retried while another process holds HDF5's lock on the file. */
static int open_file(const char *path, int writable, hid_t *out)
{
    hid_t fapl = make_fapl();
    if (fapl < 0) return h5_fail(HPO_ERROR, path, "cannot set up file access");
    double deadline = now_mono() + OPEN_RETRY_SECONDS;
    for (;;) {
        hid_t f = H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
        if (f >= 0) {
            H5Pclose(fapl);
            *out = f;
            return 0;
        }
        walk_state w = h5_last_error();
        if (!w.lock_failed) {
            H5Pclose(fapl);
            return hpo_error(HPO_ECORRUPT, "%s: cannot open as HDF5 (HDF5: %s)", path,
                             w.desc[0] ? w.desc : "unknown error");
        }
        if (now_mono() >= deadline) {
            H5Pclose(fapl);
            return hpo_error(HPO_EIO, "%s: busy: another process has it open "
                             "(gave up after %.0f s)", path, OPEN_RETRY_SECONDS);
        }
        struct timespec ts = { 0, OPEN_RETRY_SLEEP_NS };
        nanosleep(&ts, NULL);
    }
}

/* format, format_version and writing. */
static int check_root(hpo_store *st)
{
    char *fmt = NULL;
    int r = attr_read_string(st->file, "format", &fmt);
    int ok = r == 0 && strcmp(fmt, FORMAT_NAME) == 0;
    free(fmt);
    H5Eclear2(H5E_DEFAULT);
    if (!ok)
        return hpo_error(HPO_ECORRUPT, "%s: not an hpo results file (no format=\"%s\")",
                         st->path, FORMAT_NAME);
    int64_t v = 0;
    if (attr_read_i64(st->file, "format_version", &v) != 0)
        return h5_fail(HPO_ECORRUPT, st->path, "format_version is missing or unreadable");
    if (v != HPO_FORMAT_VERSION)
        return hpo_error(HPO_EFORMAT, "%s: format_version %" PRId64
                         " is not supported (this hpo reads %d)",
                         st->path, v, HPO_FORMAT_VERSION);
    if (attr_read_i64(st->file, "writing", &v) != 0)
        return h5_fail(HPO_ECORRUPT, st->path, "the writing flag is missing or unreadable");
    if (v != 0)
        return hpo_error(HPO_ECORRUPT, "%s: a writer was interrupted mid-write", st->path);
    return 0;
}

/* Open dataset `name` and return its length (1-D), checking its class. */
static int open_dataset(hpo_store *st, hid_t loc, const char *name, const char *label,
                        H5T_class_t cls, hid_t *ds, size_t *len)
{
    *ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (*ds < 0) return h5_fail(HPO_ECORRUPT, st->path, "%s is missing", label);
    hid_t sp = H5Dget_space(*ds);
    hid_t t = H5Dget_type(*ds);
    hsize_t dim = 0;
    int ok = sp >= 0 && t >= 0 && H5Sget_simple_extent_ndims(sp) == 1 &&
             H5Sget_simple_extent_dims(sp, &dim, NULL) == 1 && H5Tget_class(t) == cls;
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (!ok) return h5_fail(HPO_ECORRUPT, st->path, "%s has the wrong shape or type", label);
    *len = (size_t)dim;
    return 0;
}

/* Every field of the memory type must exist in the file's compound type:
 * HDF5 would silently leave a missing one untouched when reading. */
static int check_fields(hpo_store *st, hid_t ds, const char *name, const field *f, size_t n)
{
    hid_t t = H5Dget_type(ds);
    if (t < 0) return h5_fail(HPO_ECORRUPT, st->path, "cannot read the type of %s", name);
    for (size_t i = 0; i < n; i++) {
        if (H5Tget_member_index(t, f[i].name) < 0) {
            H5Tclose(t);
            H5Eclear2(H5E_DEFAULT);
            return hpo_error(HPO_ECORRUPT, "%s: %s has no field '%s'", st->path, name,
                             f[i].name);
        }
    }
    H5Tclose(t);
    return 0;
}

/* Read all n rows of a 1-D dataset. */
static int read_all(hpo_store *st, hid_t ds, hid_t mtype, void *buf, size_t n, const char *name)
{
    if (n == 0) return 0;
    if (H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        return h5_fail(HPO_ECORRUPT, st->path, "cannot read %s", name);
    return 0;
}

static size_t grow_cap(size_t cap, size_t need)
{
    if (cap >= need) return cap;
    if (cap < 64) cap = 64;
    while (cap < need) cap *= 2;
    return cap;
}

static void reserve_trials(hpo_store *st, size_t need)
{
    size_t cap = grow_cap(st->cap_trials, need);
    if (cap == st->cap_trials) return;
    st->trials = xrealloc(st->trials, cap * sizeof *st->trials);
    for (int i = 0; i < st->n_params; i++)
        st->cols[i].v = xrealloc(st->cols[i].v, cap * sizeof(double));
    st->cap_trials = cap;
}

static void reserve_rounds(hpo_store *st, size_t need)
{
    size_t cap = grow_cap(st->cap_rounds, need);
    if (cap == st->cap_rounds) return;
    st->rounds = xrealloc(st->rounds, cap * sizeof *st->rounds);
    st->cap_rounds = cap;
}

static int load_trials(hpo_store *st)
{
    size_t n;
    int r = open_dataset(st, st->file, "trials", "/trials", H5T_COMPOUND, &st->d_trials, &n);
    if (r == 0) r = check_fields(st, st->d_trials, "/trials", trial_fields, NFIELDS(trial_fields));
    if (r < 0) return r;
    reserve_trials(st, n);
    if ((r = read_all(st, st->d_trials, st->t_trial, st->trials, n, "/trials")) < 0) return r;
    for (size_t i = 0; i < n; i++)
        if (st->trials[i].trial_id != (int64_t)i)
            return hpo_error(HPO_ECORRUPT, "%s: /trials row %zu holds trial %" PRId64
                             " (trial ids must be dense from 0)",
                             st->path, i, st->trials[i].trial_id);
    st->n_trials = st->n_trials_file = n;
    return 0;
}

static int load_rounds(hpo_store *st)
{
    size_t n;
    int r = open_dataset(st, st->file, "rounds", "/rounds", H5T_COMPOUND, &st->d_rounds, &n);
    if (r == 0) r = check_fields(st, st->d_rounds, "/rounds", round_fields, NFIELDS(round_fields));
    if (r < 0) return r;
    reserve_rounds(st, n);
    if ((r = read_all(st, st->d_rounds, st->t_round, st->rounds, n, "/rounds")) < 0) return r;
    for (size_t i = 0; i < n; i++)
        if (st->rounds[i].round != (int32_t)i)
            return hpo_error(HPO_ECORRUPT, "%s: /rounds row %zu holds round %d "
                             "(rounds must be dense from 0)", st->path, i, st->rounds[i].round);
    st->n_rounds = st->n_rounds_file = n;
    return 0;
}

static int open_curves(hpo_store *st)
{
    size_t n;
    int r = open_dataset(st, st->file, "curves", "/curves", H5T_COMPOUND, &st->d_curves, &n);
    if (r == 0) r = check_fields(st, st->d_curves, "/curves", curve_fields, NFIELDS(curve_fields));
    st->n_curves = n;
    return r;
}

/* The `choices` attribute of a choice column must list the spec's choices
 * in order: the stored indices mean nothing otherwise. */
static int check_choices(hpo_store *st, hid_t ds, const hpo_param *p)
{
    /* Too many for an attribute: the dataset that write_choices made. */
    char *where = NULL;
    hid_t big = -1;
    if (H5Aexists(ds, "choices") <= 0 && attr_read_string(ds, "choices_dataset", &where) == 0) {
        big = H5Dopen2(st->file, where, H5P_DEFAULT);
        free(where);
        if (big < 0) return h5_fail(HPO_ECORRUPT, st->path, "/config/%s: its choices dataset is missing", p->name);
    }
    H5Eclear2(H5E_DEFAULT);
    hid_t a = big >= 0 ? big : H5Aopen(ds, "choices", H5P_DEFAULT);
    if (a < 0) return h5_fail(HPO_ECORRUPT, st->path, "/config/%s has no choices", p->name);
    hid_t ft = big >= 0 ? H5Dget_type(a) : H5Aget_type(a), sp = big >= 0 ? H5Dget_space(a) : H5Aget_space(a);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int ok = ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0 &&
             n == p->n_choices;
    if (ok && n > 0) {
        size_t w = H5Tget_size(ft);
        char *buf = xcalloc((size_t)n, w + 1);
        hid_t mt = string_type(w + 1);
        ok = mt >= 0 && (big >= 0 ? H5Dread(a, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : H5Aread(a, mt, buf)) >= 0;
        for (int i = 0; ok && i < p->n_choices; i++)
            ok = strcmp(buf + (size_t)i * (w + 1), p->choices[i]) == 0;
        if (mt >= 0) H5Tclose(mt);
        free(buf);
    }
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    if (big >= 0) H5Dclose(a);
    else H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    if (!ok)
        return hpo_error(HPO_ECORRUPT, "%s: /config/%s lists other choices than the spec",
                         st->path, p->name);
    return 0;
}

/* Stored value -> space.h encoding. */
static double decode_int(int64_t v, hpo_param_type t)
{
    if (t == HPO_PARAM_INT ? v == INT_MISSING : v == CHOICE_MISSING) return NAN;
    return (double)v;
}

/* One /config column: present, of the spec's type, as long as /trials. */
static int load_column(hpo_store *st, hid_t grp, const hpo_param *p, column *c)
{
    size_t n;
    H5T_class_t cls = p->type == HPO_PARAM_FLOAT ? H5T_FLOAT : H5T_INTEGER;
    char *what = xasprintf("/config/%s", p->name);
    int r = open_dataset(st, grp, p->name, what, cls, &c->ds, &n);
    free(what);
    if (r < 0) return r;
    char *type = NULL;
    int ok = attr_read_string(c->ds, "type", &type) == 0 && strcmp(type, type_name(p->type)) == 0;
    free(type);
    H5Eclear2(H5E_DEFAULT);
    if (!ok)
        return hpo_error(HPO_ECORRUPT, "%s: /config/%s is not a %s parameter as the spec says",
                         st->path, p->name, type_name(p->type));
    if (n != st->n_trials)
        return hpo_error(HPO_ECORRUPT, "%s: /config/%s has %zu rows, /trials %zu",
                         st->path, p->name, n, st->n_trials);
    if (p->type == HPO_PARAM_CHOICE && (r = check_choices(st, c->ds, p)) < 0) return r;
    if (p->type == HPO_PARAM_FLOAT)
        return read_all(st, c->ds, H5T_NATIVE_DOUBLE, c->v, n, p->name);
    int64_t *buf = xmalloc((n ? n : 1) * sizeof *buf);
    r = read_all(st, c->ds, H5T_NATIVE_INT64, buf, n, p->name);
    for (size_t i = 0; r == 0 && i < n; i++) c->v[i] = decode_int(buf[i], p->type);
    free(buf);
    return r;
}

/* Every spec parameter has its column, and /config holds nothing else. */
static int load_config(hpo_store *st, const hpo_spec *spec)
{
    hid_t g = H5Gopen2(st->file, "config", H5P_DEFAULT);
    if (g < 0) return h5_fail(HPO_ECORRUPT, st->path, "/config is missing");
    H5G_info_t info;
    if (H5Gget_info(g, &info) < 0) {
        H5Gclose(g);
        return h5_fail(HPO_ECORRUPT, st->path, "cannot list /config");
    }
    if (info.nlinks != (hsize_t)spec->space.n) {
        H5Gclose(g);
        return hpo_error(HPO_ECORRUPT, "%s: /config has %llu columns, the spec %d parameters",
                         st->path, (unsigned long long)info.nlinks, spec->space.n);
    }
    int r = 0;
    for (int i = 0; r == 0 && i < spec->space.n; i++) {
        const hpo_param *p = &spec->space.params[i];
        if (H5Lexists(g, p->name, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            r = hpo_error(HPO_ECORRUPT, "%s: /config has no column for parameter '%s'",
                          st->path, p->name);
            break;
        }
        r = load_column(st, g, p, &st->cols[i]);
    }
    H5Gclose(g);
    return r;
}

/* Set the root `writing` flag and make it durable. */
static int set_writing(hpo_store *st, int on)
{
    if (attr_write_i32(st->file, "writing", on) < 0 || file_sync(st->file) < 0)
        return h5_fail(HPO_EIO, st->path, "cannot %s the writing flag", on ? "set" : "clear");
    return 0;
}

static hpo_store *store_new(const char *path, int writable)
{
    hpo_store *st = xcalloc(1, sizeof *st);
    st->path = xstrdup(path);
    st->writable = writable;
    st->file = st->d_trials = st->d_curves = st->d_rounds = -1;
    st->t_trial = trial_type(0);
    st->t_curve = curve_type(0);
    st->t_round = round_type(0);
    return st;
}

/* Take per-parameter facts from the spec: the store must not depend on the
 * spec's lifetime. */
static void adopt_spec(hpo_store *st, const hpo_spec *spec)
{
    st->has_spec = 1;
    st->n_params = spec->space.n;
    st->cols = xcalloc(st->n_params > 0 ? (size_t)st->n_params : 1, sizeof *st->cols);
    for (int i = 0; i < st->n_params; i++) {
        const hpo_param *p = &spec->space.params[i];
        st->cols[i] = (column){ xstrdup(p->name), -1, p->type, p->n_choices, NULL };
    }
}

int store_open(hpo_store **out, const char *path, const hpo_spec *spec, int writable)
{
    *out = NULL;
    h5_init();
    if (!path_exists(path))
        return hpo_error(HPO_ENOTFOUND, "%s: no such file", path);
    if (access(path, writable ? R_OK | W_OK : R_OK) != 0)
        return hpo_error(HPO_EIO, "%s: %s", path, strerror(errno));
    struct stat lst;
    if (writable && lstat(path, &lst) == 0 && !S_ISREG(lst.st_mode))
        return hpo_error(HPO_EIO, "%s: is %s, not a file; refusing to write through it", path,
                         S_ISLNK(lst.st_mode) ? "a symbolic link" : "not a regular file");
    if (!writable) publish_before_read(path);   /* read what this process wrote */
    hpo_store *st = store_new(path, writable);
    if (writable) {
        publish_session_begin();   /* waits for a copy of the file in progress */
        st->session = 1;
    }
    if (st->t_trial < 0 || st->t_curve < 0 || st->t_round < 0) {
        int r = h5_fail(HPO_ERROR, path, "cannot build the table types");
        store_free(st);
        return r;
    }
    if (spec) adopt_spec(st, spec);
    int r = open_file(path, writable, &st->file);
    if (r == 0) r = check_root(st);
    if (r == 0) r = load_trials(st);
    if (r == 0 && spec) {
        reserve_trials(st, st->n_trials + 1);   /* columns get their arrays */
        r = load_config(st, spec);
    }
    if (r == 0) r = load_rounds(st);
    if (r == 0) r = open_curves(st);
    if (r == 0 && writable) r = set_writing(st, 1);
    if (r == 0 && writable) fault_point("store:after-open");
    if (r < 0) {
        store_free(st);
        return r;
    }
    *out = st;
    return 0;
}

/* ----------------------------------------------------------------- write */

/* Write rows [lo, hi) of a 1-D dataset from buf (holding rows lo..hi-1),
 * first growing it to `total` rows if it is shorter: one extent change and
 * one hyperslab write. */
static int write_rows(hid_t ds, hid_t mtype, const void *buf, size_t lo, size_t hi,
                      size_t file_rows, size_t total)
{
    if (hi <= lo) return 0;
    if (total > file_rows) {
        hsize_t dim = total;
        if (H5Dset_extent(ds, &dim) < 0) return -1;
    }
    hsize_t start = lo, count = hi - lo;
    hid_t fs = H5Dget_space(ds);
    hid_t ms = H5Screate_simple(1, &count, NULL);
    herr_t r = -1;
    if (fs >= 0 && ms >= 0 &&
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0)
        r = H5Dwrite(ds, mtype, ms, fs, H5P_DEFAULT, buf);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return r < 0 ? -1 : 0;
}

/* space.h encoding -> stored int64 (values were checked on the way in). */
static int64_t encode_int(double v, hpo_param_type t)
{
    if (isnan(v)) return t == HPO_PARAM_INT ? INT_MISSING : CHOICE_MISSING;
    return (int64_t)v;
}

static int flush_column(hpo_store *st, column *c, size_t lo, size_t hi)
{
    if (c->type == HPO_PARAM_FLOAT)
        return write_rows(c->ds, H5T_NATIVE_DOUBLE, c->v + lo, lo, hi, st->n_trials_file,
                          st->n_trials);
    int64_t *buf = xmalloc((hi - lo) * sizeof *buf);
    for (size_t i = lo; i < hi; i++) buf[i - lo] = encode_int(c->v[i], c->type);
    int r = write_rows(c->ds, H5T_NATIVE_INT64, buf, lo, hi, st->n_trials_file, st->n_trials);
    free(buf);
    return r;
}

/* Write the dirty range of /trials and of every /config column. */
static int flush_trials(hpo_store *st)
{
    size_t lo = st->dirty_lo, hi = st->dirty_hi;
    if (hi <= lo) return 0;
    if (write_rows(st->d_trials, st->t_trial, st->trials + lo, lo, hi, st->n_trials_file,
                   st->n_trials) < 0)
        return h5_fail(HPO_EIO, st->path, "cannot write /trials");
    for (int i = 0; i < st->n_params; i++)
        if (flush_column(st, &st->cols[i], lo, hi) < 0)
            return h5_fail(HPO_EIO, st->path, "cannot write /config/%s", st->cols[i].name);
    st->n_trials_file = st->n_trials;
    st->dirty_lo = st->dirty_hi = 0;
    return 0;
}

static int flush_rounds(hpo_store *st)
{
    size_t lo = st->rdirty_lo, hi = st->rdirty_hi;
    if (hi <= lo) return 0;
    if (write_rows(st->d_rounds, st->t_round, st->rounds + lo, lo, hi, st->n_rounds_file,
                   st->n_rounds) < 0)
        return h5_fail(HPO_EIO, st->path, "cannot write /rounds");
    st->n_rounds_file = st->n_rounds;
    st->rdirty_lo = st->rdirty_hi = 0;
    return 0;
}

int store_close(hpo_store *st)
{
    if (!st) return 0;
    int r = 0;
    if (st->writable) {
        r = flush_trials(st);
        fault_point("store:mid-close");
        if (r == 0) r = flush_rounds(st);
        /* The data must be on disk before the flag says it is complete; on
         * any failure the flag stays set, so the file gets rebuilt. */
        if (r == 0 && file_sync(st->file) < 0) r = h5_fail(HPO_EIO, st->path, "cannot flush");
        fault_point("store:before-clear");
        if (r == 0) r = set_writing(st, 0);
    }
    hid_t f = st->file;
    char *path = xstrdup(st->path), *publish_to = st->publish_to;
    int session = st->session, changed = st->changed, force = st->publish_force;
    st->file = -1;
    st->session = 0;
    st->publish_to = NULL;
    store_free(st);          /* closes the datasets first: they pin the file */
    if (f >= 0 && H5Fclose(f) < 0 && r == 0) r = h5_fail(HPO_EIO, path, "cannot close");
    /* Only a complete file (writing flag cleared) is ever published. */
    if (session) publish_session_end(path, r == 0 ? publish_to : NULL, changed, force);
    free(publish_to);
    free(path);
    return r;
}

static int check_writable(const hpo_store *st)
{
    if (!st->writable)
        return hpo_error(HPO_ERROR, "%s: opened read-only", st->path);
    return 0;
}

/* A configuration value must be storable exactly as its column's type. */
static int check_value(const hpo_store *st, int64_t id, const column *c, double v)
{
    if (isnan(v) || c->type == HPO_PARAM_FLOAT) return 0;
    int ok = v == floor(v) && fabs(v) < 9007199254740992.0;   /* 2^53 */
    if (ok && c->type == HPO_PARAM_CHOICE) ok = v >= 0 && v < c->n_choices;
    if (ok) return 0;
    char buf[64];
    format_double(buf, sizeof buf, v);
    return hpo_error(HPO_ERROR, "%s: trial %" PRId64 ": %s is not a valid value of %s "
                     "parameter '%s'", st->path, id, buf, type_name(c->type), c->name);
}

/* Ids must be >= 0, and those beyond the table must fill [n, max] exactly. */
static int check_ids(const hpo_store *st, const hpo_trial_row *rows,
                     const double *const *configs, size_t n, size_t *new_n)
{
    int64_t max = (int64_t)st->n_trials - 1;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].trial_id < 0)
            return hpo_error(HPO_ERROR, "%s: negative trial id %" PRId64, st->path,
                             rows[i].trial_id);
        if (rows[i].trial_id > max) max = rows[i].trial_id;
        if (rows[i].trial_id >= (int64_t)st->n_trials && !configs)
            return hpo_error(HPO_ERROR, "%s: new trial %" PRId64 " needs its configuration",
                             st->path, rows[i].trial_id);
    }
    *new_n = (size_t)(max + 1);
    size_t span = *new_n - st->n_trials;
    if (span == 0) return 0;
    /* More new ids than rows means a gap within the first n + 1 ids. */
    size_t nseen = span < n + 1 ? span : n + 1;
    char *seen = xcalloc(nseen, 1);
    for (size_t i = 0; i < n; i++) {
        int64_t k = rows[i].trial_id - (int64_t)st->n_trials;
        if (k >= 0 && (size_t)k < nseen) seen[k] = 1;
    }
    size_t first = 0;
    while (first < nseen && seen[first]) first++;
    free(seen);
    if (first < span)
        return hpo_error(HPO_ERROR, "%s: new trial ids leave a gap at trial %zu (the table "
                         "has %zu trials)", st->path, st->n_trials + first, st->n_trials);
    return 0;
}

static void mark_dirty(size_t *lo, size_t *hi, size_t a, size_t b)
{
    if (*hi <= *lo) {
        *lo = a;
        *hi = b;
        return;
    }
    if (a < *lo) *lo = a;
    if (b > *hi) *hi = b;
}

int store_put_trials(hpo_store *st, const hpo_trial_row *rows,
                     const double *const *configs, size_t n)
{
    int r = check_writable(st);
    if (r < 0) return r;
    if (configs && !st->has_spec)
        return hpo_error(HPO_ERROR, "%s: opened without a spec: cannot store configurations",
                         st->path);
    size_t new_n = 0;
    if ((r = check_ids(st, rows, configs, n, &new_n)) < 0) return r;
    for (size_t i = 0; configs && i < n; i++)
        for (int p = 0; p < st->n_params; p++)
            if ((r = check_value(st, rows[i].trial_id, &st->cols[p], configs[i][p])) < 0)
                return r;
    /* Everything is valid: apply (nothing above changed the store). */
    reserve_trials(st, new_n);
    for (size_t i = 0; i < n; i++) {
        size_t id = (size_t)rows[i].trial_id;
        st->trials[id] = rows[i];
        for (int p = 0; configs && p < st->n_params; p++) st->cols[p].v[id] = configs[i][p];
        mark_dirty(&st->dirty_lo, &st->dirty_hi, id, id + 1);
    }
    st->n_trials = new_n;
    st->changed = 1;
    return 0;
}

int store_put_round(hpo_store *st, const hpo_round_row *row)
{
    int r = check_writable(st);
    if (r < 0) return r;
    if (row->round < 0 || (size_t)row->round > st->n_rounds)
        return hpo_error(HPO_ERROR, "%s: round %d would leave a gap after round %zu",
                         st->path, row->round, st->n_rounds);
    size_t i = (size_t)row->round;
    reserve_rounds(st, i + 1);
    st->rounds[i] = *row;
    if (i == st->n_rounds) st->n_rounds++;
    mark_dirty(&st->rdirty_lo, &st->rdirty_hi, i, i + 1);
    st->changed = 1;
    return 0;
}

int store_append_curves(hpo_store *st, const hpo_curve_row *rows, size_t n)
{
    int r = check_writable(st);
    if (r < 0 || n == 0) return r;
    if (write_rows(st->d_curves, st->t_curve, rows, st->n_curves, st->n_curves + n,
                   st->n_curves, st->n_curves + n) < 0)
        return h5_fail(HPO_EIO, st->path, "cannot append to /curves");
    st->n_curves += n;
    st->changed = 1;
    return 0;
}

int store_read_curves(hpo_store *st, hpo_curve_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (st->n_curves == 0) return 0;
    hpo_curve_row *buf = xmalloc(st->n_curves * sizeof *buf);
    if (H5Dread(st->d_curves, st->t_curve, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        return h5_fail(HPO_EIO, st->path, "cannot read /curves");
    }
    *rows = buf;
    *n = st->n_curves;
    return 0;
}

/* ------------------------------------------------------ attrs, accessors */

/* Attributes store_open relies on: changing them would break the file. */
static int reserved_attr(const char *name)
{
    return strcmp(name, "format") == 0 || strcmp(name, "format_version") == 0 ||
           strcmp(name, "writing") == 0;
}

int store_set_attr(hpo_store *st, const char *name, const char *value)
{
    int r = check_writable(st);
    if (r < 0) return r;
    if (reserved_attr(name))
        return hpo_error(HPO_ERROR, "%s: attribute '%s' is reserved", st->path, name);
    if (strlen(value) > ATTR_MAX && strcmp(name, "spec_yaml") != 0)
        return hpo_error(HPO_ERROR, "%s: attribute '%s' is too long (%zu bytes)", st->path,
                         name, strlen(value));
    if (text_write(st->file, name, value) < 0)
        return h5_fail(HPO_EIO, st->path, "cannot write attribute '%s'", name);
    st->changed = 1;
    return 0;
}

int store_get_attr(hpo_store *st, const char *name, char **value)
{
    *value = NULL;
    int r = attr_read_string(st->file, name, value);
    if (r == HPO_ENOTFOUND && H5Lexists(st->file, name, H5P_DEFAULT) > 0) {   /* text_write_long's */
        hid_t d = H5Dopen2(st->file, name, H5P_DEFAULT);
        hid_t t = d >= 0 ? H5Dget_type(d) : -1;
        int ok = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0;
        if (ok) {
            size_t n = H5Tget_size(t);
            hid_t mt = string_type(n + 1);
            char *v = xcalloc(n + 2, 1);
            ok = mt >= 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
            if (ok) *value = v;
            else free(v);
            if (mt >= 0) H5Tclose(mt);
        }
        if (t >= 0) H5Tclose(t);
        if (d >= 0) H5Dclose(d);
        if (!ok) return h5_fail(HPO_ECORRUPT, st->path, "cannot read %s", name);
        return 0;
    }
    H5Eclear2(H5E_DEFAULT);
    if (r == HPO_ENOTFOUND)
        return hpo_error(HPO_ENOTFOUND, "%s: no attribute '%s'", st->path, name);
    if (r == 0) return 0;
    /* Integer attributes (seed, format_version) read as decimal text. */
    H5Eclear2(H5E_DEFAULT);
    uint64_t u;
    hid_t a = H5Aopen(st->file, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    int ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER;
    if (ok && H5Tget_sign(t) == H5T_SGN_NONE) {
        ok = H5Aread(a, H5T_NATIVE_UINT64, &u) >= 0;
        if (ok) *value = xasprintf("%" PRIu64, u);
    } else if (ok) {
        int64_t v;
        ok = H5Aread(a, H5T_NATIVE_INT64, &v) >= 0;
        if (ok) *value = xasprintf("%" PRId64, v);
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (!ok) return h5_fail(HPO_ERROR, st->path, "attribute '%s' is not text", name);
    return 0;
}

size_t store_n_trials(const hpo_store *st) { return st->n_trials; }
const hpo_trial_row *store_trials(const hpo_store *st) { return st->trials; }

const double *store_config(const hpo_store *st, int p)
{
    if (!st->has_spec || p < 0 || p >= st->n_params) return NULL;
    return st->cols[p].v;
}

size_t store_n_rounds(const hpo_store *st) { return st->n_rounds; }
const hpo_round_row *store_rounds(const hpo_store *st) { return st->rounds; }

void store_publish_to(hpo_store *st, const char *dst, int force)
{
    free(st->publish_to);
    st->publish_to = dst ? xstrdup(dst) : NULL;
    st->publish_force = force;
}
