/* mlp.c -- a one-hidden-layer perceptron on the 8x8 handwritten digits, as
 * an hpo trial: hyperparameters as flags, one `step=E val_acc=V loss=L
 * val_loss=W` line on stdout per epoch, a checkpoint after every epoch, and
 * resumption from a parent trial's checkpoint so that Hyperband promotions
 * continue the curve.
 *
 *   mlp [--lr 0.05] [--hidden 64] [--batch 32] [--momentum 0.9]
 *       [--weight-decay 1e-4] [--epochs 20] [--seed 1] [--data FILE]
 *
 * This file is plain C and does the bookkeeping: data, split, initial
 * weights, batch order, checkpoints, reports.  The arithmetic is behind
 * kernels.h: kernels_cpu.c in the CPU build (`mlp`), kernels_cuda.cu in the
 * CUDA build (`mlp-cuda`).  Everything random is drawn here on the host from
 * fixed seeds, so both builds train the same network on the same batches.
 *
 * Environment (set by hpo): HPO_CHECKPOINT_DIR, where mlp.ckpt is written
 * after each epoch; HPO_RESUME_FROM, a directory whose mlp.ckpt to continue
 * from.  The epoch's batch order depends on (seed, epoch) only, so a run
 * resumed after epoch 3 is the same computation as one that never stopped.
 *
 * Exit status: 0 done; 1 error (data, checkpoint, CUDA runtime); 2 bad
 * command line; 3 no CUDA device (CUDA build); 4 diverged: an epoch's loss
 * was not finite or its mean training loss exceeded --max-loss (see
 * diverged()); that epoch is reported with val_acc=nan and not checkpointed.
 */
#include "kernels.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define N_FEATURES   64          /* 8x8 pixels, each 0..16 */
#define N_CLASSES    10
#define VAL_FRACTION 0.2         /* the last 20% of the shuffled rows */
#define SPLIT_SEED   0x5eed1797u /* fixed: every trial sees the same split */
#define CKPT_NAME    "mlp.ckpt"
#define EXIT_DIVERGED 4

typedef struct options {
    double lr, momentum, weight_decay, max_loss;
    int hidden, batch, epochs;
    uint64_t seed;
    const char *data;           /* NULL: data/digits.csv.gz next to the binary */
} options;

typedef struct dataset {
    float *x;                   /* [n][N_FEATURES], pixels scaled to [0, 1] */
    int *y;
    int n;
} dataset;

/* What a checkpoint holds besides the arrays: enough to report its epoch
 * again when a promotion asks for no more epochs than were done. */
typedef struct progress {
    int epoch;                  /* last epoch done, 0 = none */
    double val_acc, loss, val_loss;
} progress;

_Noreturn static void die(int status, const char *fmt, const char *arg)
{
    fprintf(stderr, "mlp: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(status);
}

/* ---- random numbers: splitmix64, a pure function of its state ---------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 24 bits: exactly representable as a float. */
static float uniform01(uint64_t *state)
{
    return (float)(splitmix64(state) >> 40) * (1.0f / 16777216.0f);
}

/* Fisher-Yates with an unbiased-enough draw (n is far below 2^32). */
static void shuffle(int *a, int n, uint64_t *state)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(splitmix64(state) % (uint64_t)(i + 1));
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mlp [--lr X] [--hidden N] [--batch N] [--momentum X] [--weight-decay X]\n"
            "           [--epochs N] [--seed N] [--max-loss X] [--data FILE]\n"
            "Trains a 64-N-10 ReLU perceptron on the 8x8 digits with SGD (momentum, weight\n"
            "decay) and prints `step=EPOCH val_acc=V loss=TRAIN_LOSS val_loss=VAL_LOSS` per epoch.\n"
            "Defaults: --lr 0.05 --hidden 64 --batch 32 --momentum 0.9 --weight-decay 1e-4\n"
            "--epochs 20 --seed 1 --max-loss 6.9 (3 ln 10; a mean training loss above it is\n"
            "divergence: exit 4 with val_acc=nan; 0 = only NaN/inf); --data defaults to\n"
            "data/digits.csv.gz beside the binary.\n"
            "Checkpoints to $HPO_CHECKPOINT_DIR/" CKPT_NAME ", resumes from $HPO_RESUME_FROM/" CKPT_NAME ".\n");
}

static double parse_double(const char *s, const char *flag)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        die(2, "%s: not a finite number (see --help)", flag);
    return v;
}

static long parse_long(const char *s, const char *flag, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        die(2, "%s: not an integer in range (see --help)", flag);
    return v;
}

static options parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"lr", required_argument, 0, 'l'},       {"hidden", required_argument, 0, 'H'},
        {"batch", required_argument, 0, 'b'},    {"momentum", required_argument, 0, 'm'},
        {"weight-decay", required_argument, 0, 'w'}, {"epochs", required_argument, 0, 'e'},
        {"seed", required_argument, 0, 's'},     {"data", required_argument, 0, 'd'},
        {"max-loss", required_argument, 0, 'x'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    options o = {0.05, 0.9, 1e-4, 3.0 * log(N_CLASSES), 64, 32, 20, 1, NULL};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': o.lr = parse_double(optarg, "--lr"); break;
        case 'H': o.hidden = (int)parse_long(optarg, "--hidden", 1, 65536); break;
        case 'b': o.batch = (int)parse_long(optarg, "--batch", 1, 65536); break;
        case 'm': o.momentum = parse_double(optarg, "--momentum"); break;
        case 'w': o.weight_decay = parse_double(optarg, "--weight-decay"); break;
        case 'e': o.epochs = (int)parse_long(optarg, "--epochs", 1, 1000000); break;
        case 's': o.seed = (uint64_t)parse_long(optarg, "--seed", 0, LONG_MAX); break;
        case 'd': o.data = optarg; break;
        case 'x': o.max_loss = parse_double(optarg, "--max-loss"); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind != argc)
        die(2, "unexpected argument '%s' (see --help)", argv[optind]);
    if (o.lr <= 0 || o.momentum < 0 || o.momentum >= 1 || o.weight_decay < 0 || o.max_loss < 0)
        die(2, "%s", "need --lr > 0, 0 <= --momentum < 1, --weight-decay >= 0, --max-loss >= 0");
    return o;
}

/* ---- data ---------------------------------------------------------------- */

/* data/digits.csv.gz in the directory of this executable, so that the
 * binary finds its data whatever directory a trial runs in. */
static char *default_data_path(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    if (n <= 0)
        return strcpy(path, "data/digits.csv.gz");
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    strcpy(slash ? slash + 1 : path, "data/digits.csv.gz");
    return path;
}

/* One CSV row: N_FEATURES pixel counts then the label.  Returns 0 or -1. */
static int parse_row(const char *line, float *x, int *y)
{
    const char *p = line;
    for (int k = 0; k <= N_FEATURES; k++) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || (k < N_FEATURES ? *end != ',' : (*end != '\n' && *end != '\r' && *end)))
            return -1;
        if (k < N_FEATURES) {
            if (v < 0 || v > 16)
                return -1;
            x[k] = (float)(v / 16.0);
        } else {
            if (v != (int)v || v < 0 || v >= N_CLASSES)
                return -1;
            *y = (int)v;
        }
        p = end + 1;
    }
    return 0;
}

/* Reads the gzipped (or plain) CSV: 1,797 rows of 64 pixels and a label. */
static dataset load_digits(const char *path)
{
    dataset d = {0};
    gzFile f = gzopen(path, "rb");
    if (!f)
        die(1, "cannot open %s (--data FILE names another copy)", path);
    int cap = 2048;
    d.x = malloc(sizeof(float) * (size_t)cap * N_FEATURES);
    d.y = malloc(sizeof(int) * (size_t)cap);
    char line[1024];
    while (d.x && d.y && gzgets(f, line, sizeof line)) {
        if (d.n == cap)
            die(1, "%s: more rows than expected", path);
        if (parse_row(line, d.x + (size_t)d.n * N_FEATURES, d.y + d.n) != 0)
            die(1, "%s: a row is not 64 pixel values (0..16) and a label (0..9)", path);
        d.n++;
    }
    gzclose(f);
    if (!d.x || !d.y)
        die(1, "%s", "out of memory");
    if (d.n < 10)
        die(1, "%s: too few rows", path);
    return d;
}

/* The fixed split: rows shuffled with SPLIT_SEED, the last 20% for
 * validation.  Copies rows so that each set is contiguous. */
static void split(const dataset *all, dataset *train, dataset *val)
{
    int *perm = malloc(sizeof(int) * (size_t)all->n);
    if (!perm)
        die(1, "%s", "out of memory");
    for (int i = 0; i < all->n; i++)
        perm[i] = i;
    uint64_t st = SPLIT_SEED;
    shuffle(perm, all->n, &st);
    int n_val = (int)(all->n * VAL_FRACTION);
    dataset *parts[2] = {train, val};
    int counts[2] = {all->n - n_val, n_val};
    for (int p = 0, from = 0; p < 2; p++) {
        dataset *s = parts[p];
        s->n = counts[p];
        s->x = malloc(sizeof(float) * (size_t)s->n * N_FEATURES);
        s->y = malloc(sizeof(int) * (size_t)s->n);
        if (!s->x || !s->y)
            die(1, "%s", "out of memory");
        for (int i = 0; i < s->n; i++, from++) {
            memcpy(s->x + (size_t)i * N_FEATURES, all->x + (size_t)perm[from] * N_FEATURES,
                   sizeof(float) * N_FEATURES);
            s->y[i] = all->y[perm[from]];
        }
    }
    free(perm);
}

/* ---- model state --------------------------------------------------------- */

/* He-uniform weights for the ReLU layer, Glorot-uniform for the softmax
 * layer, zero biases and momentum: drawn from --seed on the host. */
static void init_params(mlp_dims d, uint64_t seed, float *params, float *velocity)
{
    size_t n = mlp_param_count(d), w2 = (size_t)d.hidden * d.in + d.hidden;
    uint64_t st = seed * 0x100000001B3ull + 1;
    float a1 = sqrtf(6.0f / (float)d.in), a2 = sqrtf(6.0f / (float)(d.hidden + d.out));
    memset(params, 0, n * sizeof(float));
    memset(velocity, 0, n * sizeof(float));
    for (size_t i = 0; i < (size_t)d.hidden * d.in; i++)
        params[i] = (2.0f * uniform01(&st) - 1.0f) * a1;
    for (size_t i = 0; i < (size_t)d.out * d.hidden; i++)
        params[w2 + i] = (2.0f * uniform01(&st) - 1.0f) * a2;
}

/* The order of the training rows in an epoch: a function of (seed, epoch)
 * alone, so a resumed run draws the same batches as an unbroken one. */
static void epoch_order(int *order, int n, uint64_t seed, int epoch)
{
    uint64_t st = seed ^ ((uint64_t)epoch * 0xD1B54A32D192ED03ull);
    splitmix64(&st);
    for (int i = 0; i < n; i++)
        order[i] = i;
    shuffle(order, n, &st);
}

/* ---- checkpoints ----------------------------------------------------------
 * mlp.ckpt, in this machine's byte order (a checkpoint is read back by the
 * same binary on the same cluster):
 *   char magic[8] "HPOMLP01"; uint32 in, hidden, out, epoch; uint64 seed;
 *   double val_acc, loss, val_loss; float params[n]; float velocity[n];
 *   uint64 FNV-1a of everything before it.
 * Written to mlp.ckpt.tmp, fsync'ed and renamed: a kill leaves the old one
 * or the new one, never half of one. */

typedef struct ckpt_header {
    char magic[8];
    uint32_t in, hidden, out, epoch;
    uint64_t seed;
    double val_acc, loss, val_loss;
} ckpt_header;

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001B3ull;
    return h;
}

static char *ckpt_path(const char *dir, const char *suffix)
{
    size_t n = strlen(dir) + sizeof CKPT_NAME + strlen(suffix) + 2;
    char *p = malloc(n);
    if (!p)
        die(1, "%s", "out of memory");
    snprintf(p, n, "%s/%s%s", dir, CKPT_NAME, suffix);
    return p;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* mkdir -p: hpo creates HPO_CHECKPOINT_DIR, but a person running the
 * program by hand may name one that does not exist yet. */
static void make_dirs(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        die(1, "%s: path too long", dir);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            die(1, "cannot create the checkpoint directory %s", path);
        if (c == '\0')
            return;
        *p = c;
    }
}

static void save_checkpoint(const char *dir, mlp_dims d, uint64_t seed, progress pr,
                            const float *params, const float *velocity)
{
    size_t n = mlp_param_count(d);
    ckpt_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, "HPOMLP01", 8);
    h.in = (uint32_t)d.in, h.hidden = (uint32_t)d.hidden, h.out = (uint32_t)d.out;
    h.epoch = (uint32_t)pr.epoch, h.seed = seed;
    h.val_acc = pr.val_acc, h.loss = pr.loss, h.val_loss = pr.val_loss;
    uint64_t sum = fnv1a(0xCBF29CE484222325ull, &h, sizeof h);
    sum = fnv1a(sum, params, n * sizeof(float));
    sum = fnv1a(sum, velocity, n * sizeof(float));

    make_dirs(dir);
    char *tmp = ckpt_path(dir, ".tmp"), *final = ckpt_path(dir, "");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, &h, sizeof h) || write_all(fd, params, n * sizeof(float)) ||
        write_all(fd, velocity, n * sizeof(float)) || write_all(fd, &sum, sizeof sum) ||
        fsync(fd) != 0 || close(fd) != 0 || rename(tmp, final) != 0)
        die(1, "cannot write the checkpoint %s", tmp);
    free(tmp);
    free(final);
}

/* Loads dir/mlp.ckpt into params/velocity.  Returns its epoch, or 0 when
 * there is none or it is of a network of another shape (a restart, said on
 * stderr); a damaged one is an error. */
static int load_checkpoint(const char *dir, mlp_dims d, float *params, float *velocity, progress *pr)
{
    if (!dir || !*dir)
        return 0;
    char *path = ckpt_path(dir, "");
    FILE *f = fopen(path, "rb");
    if (!f) {
        free(path);
        return 0;
    }
    size_t n = mlp_param_count(d);
    ckpt_header h;
    uint64_t sum, want;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, "HPOMLP01", 8) != 0)
        die(1, "%s: not an mlp checkpoint", path);
    if (h.in != (uint32_t)d.in || h.hidden != (uint32_t)d.hidden || h.out != (uint32_t)d.out) {
        fprintf(stderr, "mlp: %s is of a %u-%u-%u network, not %d-%d-%d: starting at epoch 1\n", path,
                h.in, h.hidden, h.out, d.in, d.hidden, d.out);
        fclose(f);
        free(path);
        return 0;
    }
    if (fread(params, sizeof(float), n, f) != n || fread(velocity, sizeof(float), n, f) != n ||
        fread(&sum, sizeof sum, 1, f) != 1)
        die(1, "%s: truncated checkpoint", path);
    want = fnv1a(fnv1a(fnv1a(0xCBF29CE484222325ull, &h, sizeof h), params, n * sizeof(float)), velocity,
                 n * sizeof(float));
    if (sum != want)
        die(1, "%s: checkpoint checksum mismatch", path);
    fclose(f);
    free(path);
    pr->epoch = (int)h.epoch;
    pr->val_acc = h.val_acc, pr->loss = h.loss, pr->val_loss = h.val_loss;
    return pr->epoch;
}

/* Starts from the furthest of: the parent's checkpoint (HPO_RESUME_FROM), an
 * earlier attempt of this trial (HPO_CHECKPOINT_DIR), fresh weights. */
static progress restore(mlp_dims d, uint64_t seed, const char *resume, const char *own,
                        float *params, float *velocity)
{
    size_t n = mlp_param_count(d);
    float *p2 = malloc(n * sizeof(float)), *v2 = malloc(n * sizeof(float));
    progress pr = {0, 0, 0, 0}, pr2 = {0, 0, 0, 0};
    if (!p2 || !v2)
        die(1, "%s", "out of memory");
    if (!load_checkpoint(resume, d, params, velocity, &pr)) {
        if (resume && *resume)
            fprintf(stderr, "mlp: no usable %s in %s: starting at epoch 1\n", CKPT_NAME, resume);
        init_params(d, seed, params, velocity);
    }
    if (load_checkpoint(own, d, p2, v2, &pr2) > pr.epoch) {
        memcpy(params, p2, n * sizeof(float));
        memcpy(velocity, v2, n * sizeof(float));
        pr = pr2;
    }
    free(p2);
    free(v2);
    return pr;
}

/* ---- training ------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void check(mlp_backend *b, int rc)
{
    if (rc != 0)
        die(1, "%s", mlp_error(b));
}

/* One pass over the training rows in this epoch's order; returns the mean
 * training loss. */
static double train_epoch(mlp_backend *b, const options *o, int *order, int n, int epoch)
{
    mlp_hyper h = {(float)o->lr, (float)o->momentum, (float)o->weight_decay};
    double loss;
    epoch_order(order, n, o->seed, epoch);
    check(b, mlp_set_order(b, order));
    for (int first = 0; first < n; first += o->batch)
        check(b, mlp_train_batch(b, first, n - first < o->batch ? n - first : o->batch, h));
    check(b, mlp_take_train_loss(b, &loss));
    return loss / n;
}

/* Whether the epoch diverged.  NaN or inf alone misses most divergence
 * here: a step that overshoots kills every ReLU, and the softmax layer's
 * gradient is bounded, so the loss oscillates far above chance (ln 10 =
 * 2.3) without overflowing -- at lr 10 it is 36 after the first epoch.  So a
 * mean training loss above max_loss (default 3 ln 10) counts too: over lr
 * 0.1..10, momentum 0.5..0.99 and batch 16 or 128, no config that went on to
 * learn had an epoch above 4.4. */
static int diverged(const progress *pr, double max_loss)
{
    return !isfinite(pr->loss) || !isfinite(pr->val_loss) || (max_loss > 0 && pr->loss > max_loss);
}

static void report(int epoch, const progress *pr)
{
    printf("step=%d val_acc=%.6f loss=%.6f val_loss=%.6f\n", epoch, pr->val_acc, pr->loss, pr->val_loss);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    options o = parse_args(argc, argv);
    /* hpo forwards Slurm's time-limit warning (SIGUSR2 by default), whose
     * default action would kill us; a checkpoint is written after every
     * epoch anyway, so carry on until the limit itself. */
    signal(SIGUSR2, SIG_IGN);
    const char *resume = getenv("HPO_RESUME_FROM"), *own = getenv("HPO_CHECKPOINT_DIR");
    if (own && *own && strlen(own) > PATH_MAX)
        die(1, "%s", "HPO_CHECKPOINT_DIR is too long");

    dataset all = load_digits(o.data ? o.data : default_data_path()), train, val;
    split(&all, &train, &val);
    mlp_dims d = {N_FEATURES, o.hidden, N_CLASSES};
    size_t n = mlp_param_count(d);
    float *params = malloc(n * sizeof(float)), *velocity = malloc(n * sizeof(float));
    int *order = malloc(sizeof(int) * (size_t)train.n);
    if (!params || !velocity || !order)
        die(1, "%s", "out of memory");
    progress pr = restore(d, o.seed, resume, own, params, velocity);

    mlp_backend *b;
    char err[512];
    mlp_data tr = {train.x, train.y, train.n}, va = {val.x, val.y, val.n};
    int rc = mlp_open(&b, d, o.batch < train.n ? o.batch : train.n, tr, va, err, sizeof err);
    if (rc != 0)
        die(rc, "%s", err);
    check(b, mlp_set_state(b, params, velocity));
    fprintf(stderr, "mlp: %s build on %s; %d training and %d validation rows; starting after epoch %d\n",
            mlp_backend_name(), mlp_device_name(b), train.n, val.n, pr.epoch);

    if (pr.epoch >= o.epochs) {
        /* A budget no larger than what was done (a parent trained further):
         * report the last epoch again so the trial has its objective. */
        report(pr.epoch, &pr);
        if (own && *own)
            save_checkpoint(own, d, o.seed, pr, params, velocity);
    }
    double t0 = now_s(), compute_s = 0.0;
    int first_epoch = pr.epoch + 1, status = 0;
    for (int epoch = first_epoch; epoch <= o.epochs; epoch++) {
        int correct;
        double val_loss, t1 = now_s();
        pr.loss = train_epoch(b, &o, order, train.n, epoch);
        check(b, mlp_evaluate(b, &val_loss, &correct));
        compute_s += now_s() - t1;      /* both calls end waiting for the device */
        pr.epoch = epoch;
        pr.val_loss = val_loss / val.n;
        pr.val_acc = (double)correct / val.n;
        if (diverged(&pr, o.max_loss)) {
            /* The accuracy of a diverged network (an argmax over NaN or
             * wild logits) is noise around chance: report nan instead, so
             * that hpo never ranks it. */
            pr.val_acc = NAN;
            report(epoch, &pr);
            fprintf(stderr, "mlp: diverged at epoch %d (mean training loss %g > --max-loss %g, or not "
                    "finite): lr %g is too large\n", epoch, pr.loss, o.max_loss, o.lr);
            status = EXIT_DIVERGED;
            break;
        }
        report(epoch, &pr);
        if (own && *own) {
            check(b, mlp_get_state(b, params, velocity));
            save_checkpoint(own, d, o.seed, pr, params, velocity);
        }
    }
    int done = o.epochs - first_epoch + 1;
    if (status == 0 && done > 0) {
        double t = now_s() - t0;
        fprintf(stderr, "mlp: %s: %d epochs in %.3f s: %.3f ms/epoch training and evaluating, "
                "%.3f ms/epoch in all; val_acc %.4f\n", mlp_backend_name(), done, t,
                1e3 * compute_s / done, 1e3 * t / done, pr.val_acc);
    }
    mlp_close(b);
    free(params), free(velocity), free(order);
    free(all.x), free(all.y), free(train.x), free(train.y), free(val.x), free(val.y);
    return status;
}
