/* kernels.h -- the one small interface between the MLP's training loop
 * (mlp.c, plain C) and where its arithmetic runs: kernels_cpu.c (plain C,
 * built with cc) or kernels_cuda.cu (CUDA kernels, built with nvcc).
 *
 * The model: in -> hidden (ReLU) -> out, softmax cross-entropy, SGD with
 * momentum and weight decay.  Its parameters and momentum buffers live in
 * the backend (on the GPU for CUDA) as one flat float array each, laid out
 *
 *     W1[hidden][in]  b1[hidden]  W2[out][hidden]  b2[out]
 *
 * so that mlp.c can initialise, checkpoint and restore them without knowing
 * where they live.  Both backends do every sum in the same order (one output
 * element at a time, its inner index ascending), so the two builds agree to
 * float rounding (see README.md for how closely).
 */
#ifndef MLP_KERNELS_H
#define MLP_KERNELS_H

#include <math.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What mlp_open returns besides 0: exit codes of the program too. */
#define MLP_ERROR      1      /* anything else went wrong: mlp_error() says what */
#define MLP_NO_DEVICE  3      /* the CUDA build found no usable GPU */

/* Classes at most: a GPU thread keeps one example's logits in registers. */
#define MLP_MAX_OUT    16

/* exp and log for the softmax, shared by both backends.  CUDA's expf and
 * logf round differently from glibc's (up to 2 ulp), and one ulp in a
 * gradient is enough for two runs to drift apart over the epochs.  These use
 * only + - * / (IEEE-rounded on both, with no FMA: see kernels_cpu.c) and
 * the exact rintf, ldexpf and frexpf, so both builds get the same bits.
 * Accuracy: a few ulp, ample for a softmax. */
#ifdef __CUDACC__
#define MLP_HD __host__ __device__
#else
#define MLP_HD
#endif

/* e^x: x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^8
 * (truncation error < 2e-9), times 2^n. */
static inline MLP_HD float mlp_expf(float x)
{
    if (x != x)
        return x;
    if (x < -87.0f)
        return 0.0f;                 /* below FLT_MIN: not worth subnormals */
    if (x > 88.0f)
        return HUGE_VALF;
    const float n = rintf(x * 1.44269504f);
    const float r = (x - n * 0.693145751953125f) - n * 1.42860677e-06f;  /* ln2 in two parts */
    float p = 1.0f / 40320.0f;
    p = p * r + 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return ldexpf(p, (int)n);
}

/* ln x: x = m 2^e with sqrt(1/2) <= m < sqrt(2); ln m = 2 atanh(s),
 * s = (m-1)/(m+1), |s| < 0.172, by its series to s^11 (error < 3e-10). */
static inline MLP_HD float mlp_logf(float x)
{
    if (!(x > 0.0f) || x == HUGE_VALF)
        return x == 0.0f ? -HUGE_VALF : x > 0.0f ? x : (x - x) / (x - x);  /* NaN for x < 0 */
    int e;
    float m = frexpf(x, &e);         /* m in [0.5, 1) */
    if (m < 0.70710678f) {
        m = m * 2.0f;
        e = e - 1;
    }
    const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float p = 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    return (float)e * 0.693145751953125f + ((float)e * 1.42860677e-06f + 2.0f * s * p);
}

typedef struct mlp_dims {
    int in, hidden, out;
} mlp_dims;

typedef struct mlp_hyper {
    float lr, momentum, weight_decay;
} mlp_hyper;

/* A read-only view of a data set: n rows of dims.in features, labels 0..out-1.
 * The CPU backend uses it in place: keep it alive until mlp_close. */
typedef struct mlp_data {
    const float *x;
    const int *y;
    int n;
} mlp_data;

typedef struct mlp_backend mlp_backend;

/* Number of floats in the flat parameter (and momentum) array. */
static inline size_t mlp_param_count(mlp_dims d)
{
    return (size_t)d.hidden * d.in + d.hidden + (size_t)d.out * d.hidden + d.out;
}

/* "cpu" or "cuda", and after mlp_open the device it runs on, for the logs. */
const char *mlp_backend_name(void);
const char *mlp_device_name(const mlp_backend *b);

/* Creates the backend and copies both data sets to it once.  max_batch is
 * the largest batch mlp_train_batch will be given.  Returns 0, MLP_ERROR or
 * MLP_NO_DEVICE, with *out NULL and a message in err on failure. */
int mlp_open(mlp_backend **out, mlp_dims dims, int max_batch,
             mlp_data train, mlp_data val, char *err, size_t errlen);
void mlp_close(mlp_backend *b);

/* The message of the last failed call. */
const char *mlp_error(const mlp_backend *b);

/* Parameters and momentum buffers in, or out (mlp_param_count floats each). */
int mlp_set_state(mlp_backend *b, const float *params, const float *velocity);
int mlp_get_state(mlp_backend *b, float *params, float *velocity);

/* The order in which this epoch visits the training rows (n = train.n). */
int mlp_set_order(mlp_backend *b, const int *order);

/* One SGD step on the training rows order[first .. first+count-1]; adds the
 * batch's summed cross-entropy to a running total. */
int mlp_train_batch(mlp_backend *b, int first, int count, mlp_hyper h);

/* The running total of the training loss since the last call; resets it.
 * On the GPU this is where the host waits for the epoch's work. */
int mlp_take_train_loss(mlp_backend *b, double *loss_sum);

/* Summed cross-entropy and number of correct argmax predictions over the
 * validation set, with the current parameters. */
int mlp_evaluate(mlp_backend *b, double *loss_sum, int *correct);

#ifdef __cplusplus
}
#endif
#endif
