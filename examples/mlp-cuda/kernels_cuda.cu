/* kernels_cuda.cu -- the MLP's arithmetic on a GPU: hand-written CUDA
 * kernels behind kernels.h, the same interface kernels_cpu.c implements.
 *
 * Parameters, momentum, gradients, activations and both data sets live on
 * the device; per batch the host only launches five kernels (no copies, no
 * waiting), and it waits once per epoch, when it reads the training loss,
 * and once per evaluation.  Every kernel gives one thread one output
 * element, which sums its terms in ascending order exactly as the loops of
 * kernels_cpu.c do; built with -fmad=false (no fused multiply-add, which the
 * CPU build does not use either), the two builds differ only where CUDA's
 * expf/logf round differently from glibc's and in the order the per-row
 * losses are added (atomics): see README.md for how far apart they end up.
 *
 * The network is tiny (64-N-10, batches of tens of rows), so these simple
 * kernels are launch-bound, not compute-bound: the point of this example is
 * a real GPU trial for hpo, not a fast MLP.
 */
#include "kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 256

/* LAUNCH(kernel, blocks)(args...) is kernel<<<blocks, THREADS>>>(args...);
 * built with -DMLP_CUDA_EMULATE by a C++ compiler instead, cuda_emu.h runs
 * the threads one after another on the CPU, so that this file's kernels and
 * host code can be checked against kernels_cpu.c where there is no GPU. */
#ifdef MLP_CUDA_EMULATE
#include "cuda_emu.h"
#else
#include <cuda_runtime.h>
#define LAUNCH(kernel, blocks) kernel<<<(blocks), THREADS>>>
#endif

struct mlp_backend {
    mlp_dims d;
    int max_batch, n_train, n_val;
    size_t off_w1, off_b1, off_w2, off_b2, n_params;   /* layout of kernels.h */
    float *x_train, *x_val;                           /* device copies of the data */
    int *y_train, *y_val;
    int *order;                                       /* this epoch's order of training rows */
    int *identity;                                    /* 0..n_val-1 */
    float *params, *velocity, *grad;
    float *a1, *dz1, *dz2;                            /* [max_batch][hidden|hidden|out] */
    double *loss;                                     /* [0] training total, [1] validation */
    int *correct;                                     /* [0] training (unused), [1] validation */
    char name[320];
    char err[512];
};

/* ---- kernels (each mirrors the function of the same name in kernels_cpu.c) */

/* a1[r][h] = relu(sum_k x[idx[r]][k] W1[h][k] + b1[h]); one thread per (r, h). */
__global__ void hidden_forward(const float *x, const int *idx, int rows, const float *w1,
                               const float *b1, int in, int hidden, float *a1)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= rows * hidden)
        return;
    int r = t / hidden, h = t % hidden;
    const float *xr = x + (size_t)idx[r] * in, *wh = w1 + (size_t)h * in;
    float s = 0.0f;
    for (int k = 0; k < in; k++)
        s += xr[k] * wh[k];
    s += b1[h];
    a1[t] = s > 0.0f ? s : 0.0f;
}

/* Logits, softmax and cross-entropy of one row per thread; with dz2, the
 * gradient of the batch's mean loss at the logits. */
__global__ void output_softmax(const float *a1, const int *y, const int *idx, int rows,
                               const float *w2, const float *b2, int hidden, int out,
                               float *dz2, double *loss, int *correct)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    const float *ar = a1 + (size_t)r * hidden;
    const int label = y[idx[r]];
    float logit[MLP_MAX_OUT] = {0}, e[MLP_MAX_OUT] = {0};
    for (int c = 0; c < out; c++) {
        const float *wc = w2 + (size_t)c * hidden;
        float s = 0.0f;
        for (int h = 0; h < hidden; h++)
            s += ar[h] * wc[h];
        logit[c] = s + b2[c];
    }
    int best = 0;
    for (int c = 1; c < out; c++)
        if (logit[c] > logit[best])
            best = c;
    const float m = logit[best];
    float sum = 0.0f;
    for (int c = 0; c < out; c++) {
        e[c] = mlp_expf(logit[c] - m);
        sum += e[c];
    }
    atomicAdd(loss, (double)(mlp_logf(sum) - (logit[label] - m)));
    if (best == label)
        atomicAdd(correct, 1);
    if (dz2)
        for (int c = 0; c < out; c++)
            dz2[(size_t)r * out + c] = (e[c] / sum - (c == label ? 1.0f : 0.0f)) / (float)rows;
}

/* gW2[c][h] = sum_r dz2[r][c] a1[r][h] (out*hidden threads), then
 * gb2[c] = sum_r dz2[r][c] (out more threads). */
__global__ void output_grad(const float *dz2, const float *a1, int rows, int hidden, int out,
                            float *gw2, float *gb2)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    float s = 0.0f;
    if (t < out * hidden) {
        int c = t / hidden, h = t % hidden;
        for (int r = 0; r < rows; r++)
            s += dz2[(size_t)r * out + c] * a1[(size_t)r * hidden + h];
        gw2[t] = s;
    } else if (t < out * hidden + out) {
        int c = t - out * hidden;
        for (int r = 0; r < rows; r++)
            s += dz2[(size_t)r * out + c];
        gb2[c] = s;
    }
}

/* dz1[r][h] = (a1[r][h] > 0) * sum_c dz2[r][c] W2[c][h]; one thread per (r, h). */
__global__ void hidden_backward(const float *dz2, const float *w2, const float *a1, int rows,
                                int hidden, int out, float *dz1)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= rows * hidden)
        return;
    int r = t / hidden, h = t % hidden;
    float s = 0.0f;
    for (int c = 0; c < out; c++)
        s += dz2[(size_t)r * out + c] * w2[(size_t)c * hidden + h];
    dz1[t] = a1[t] > 0.0f ? s : 0.0f;
}

/* gW1[h][k] = sum_r dz1[r][h] x[idx[r]][k] (hidden*in threads), then
 * gb1[h] = sum_r dz1[r][h] (hidden more threads). */
__global__ void hidden_grad(const float *dz1, const float *x, const int *idx, int rows, int in,
                            int hidden, float *gw1, float *gb1)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    float s = 0.0f;
    if (t < hidden * in) {
        int h = t / in, k = t % in;
        for (int r = 0; r < rows; r++)
            s += dz1[(size_t)r * hidden + h] * x[(size_t)idx[r] * in + k];
        gw1[t] = s;
    } else if (t < hidden * in + hidden) {
        int h = t - hidden * in;
        for (int r = 0; r < rows; r++)
            s += dz1[(size_t)r * hidden + h];
        gb1[h] = s;
    }
}

/* v = momentum v + (g + weight_decay w), w -= lr v; no decay on the biases,
 * which are [b1_begin, b1_end) and [b2_begin, n). */
__global__ void sgd_update(float *params, float *velocity, const float *grad, size_t n,
                           size_t b1_begin, size_t b1_end, size_t b2_begin, float lr,
                           float momentum, float weight_decay)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    const bool is_bias = (i >= b1_begin && i < b1_end) || i >= b2_begin;
    float g = grad[i];
    if (!is_bias)
        g += weight_decay * params[i];
    velocity[i] = momentum * velocity[i] + g;
    params[i] -= lr * velocity[i];
}

/* ---- host side ------------------------------------------------------------ */

static unsigned blocks_for(size_t n)
{
    return (unsigned)((n + THREADS - 1) / THREADS);
}

static int fail(mlp_backend *b, const char *what, cudaError_t e)
{
    snprintf(b->err, sizeof b->err, "%s: %s (CUDA error %d)", what, cudaGetErrorString(e), (int)e);
    return MLP_ERROR;
}

/* Returns MLP_ERROR from the calling function when a CUDA call fails. */
#define TRY(b, call)                                     \
    do {                                                 \
        cudaError_t e_ = (call);                         \
        if (e_ != cudaSuccess)                           \
            return fail((b), #call, e_);                 \
    } while (0)

extern "C" const char *mlp_backend_name(void) { return "cuda"; }
extern "C" const char *mlp_device_name(const mlp_backend *b) { return b->name; }
extern "C" const char *mlp_error(const mlp_backend *b) { return b->err; }

/* Device 0 of those visible (Slurm and hpo narrow CUDA_VISIBLE_DEVICES to
 * the trial's GPUs).  No driver (error 35), the stub library (34) and no
 * device (100) all mean "no GPU here": exit 3 with a message, not a crash. */
static int pick_device(mlp_backend *b)
{
    int count = 0;                     /* left unwritten when there is no driver */
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count < 1) {
        snprintf(b->err, sizeof b->err,
                 "no CUDA device: cudaGetDeviceCount: %s (CUDA error %d, %d devices); this is the "
                 "CUDA build, use the CPU build (examples/mlp-cuda/mlp) where there is no GPU",
                 e != cudaSuccess ? cudaGetErrorString(e) : "no error", (int)e, count);
        return MLP_NO_DEVICE;
    }
    cudaDeviceProp p;
    if ((e = cudaSetDevice(0)) != cudaSuccess || (e = cudaGetDeviceProperties(&p, 0)) != cudaSuccess) {
        snprintf(b->err, sizeof b->err, "no usable CUDA device: device 0 of %d: %s (CUDA error %d)",
                 count, cudaGetErrorString(e), (int)e);
        return MLP_NO_DEVICE;
    }
    snprintf(b->name, sizeof b->name, "%s (compute capability %d.%d, device 0 of %d)", p.name,
             p.major, p.minor, count);
    return 0;
}

/* cudaMalloc n bytes, and copy src there when given. */
static int upload(mlp_backend *b, void **dst, const void *src, size_t n)
{
    TRY(b, cudaMalloc(dst, n ? n : 1));
    if (src)
        TRY(b, cudaMemcpy(*dst, src, n, cudaMemcpyHostToDevice));
    return 0;
}

static int allocate(mlp_backend *b, mlp_data train, mlp_data val)
{
    const mlp_dims d = b->d;
    const size_t fb = sizeof(float), np = b->n_params * fb;
    int *identity = (int *)malloc(sizeof(int) * (size_t)(val.n > 0 ? val.n : 1));
    if (!identity) {
        snprintf(b->err, sizeof b->err, "out of memory");
        return MLP_ERROR;
    }
    for (int i = 0; i < val.n; i++)
        identity[i] = i;
    int rc = upload(b, (void **)&b->x_train, train.x, (size_t)train.n * d.in * fb) ||
             upload(b, (void **)&b->y_train, train.y, (size_t)train.n * sizeof(int)) ||
             upload(b, (void **)&b->x_val, val.x, (size_t)val.n * d.in * fb) ||
             upload(b, (void **)&b->y_val, val.y, (size_t)val.n * sizeof(int)) ||
             upload(b, (void **)&b->identity, identity, (size_t)val.n * sizeof(int)) ||
             upload(b, (void **)&b->order, NULL, (size_t)train.n * sizeof(int)) ||
             upload(b, (void **)&b->params, NULL, np) || upload(b, (void **)&b->velocity, NULL, np) ||
             upload(b, (void **)&b->grad, NULL, np) ||
             upload(b, (void **)&b->a1, NULL, (size_t)b->max_batch * d.hidden * fb) ||
             upload(b, (void **)&b->dz1, NULL, (size_t)b->max_batch * d.hidden * fb) ||
             upload(b, (void **)&b->dz2, NULL, (size_t)b->max_batch * d.out * fb) ||
             upload(b, (void **)&b->loss, NULL, 2 * sizeof(double)) ||
             upload(b, (void **)&b->correct, NULL, 2 * sizeof(int));
    free(identity);
    if (rc)
        return MLP_ERROR;
    TRY(b, cudaMemset(b->loss, 0, 2 * sizeof(double)));
    TRY(b, cudaMemset(b->correct, 0, 2 * sizeof(int)));
    return 0;
}

extern "C" int mlp_open(mlp_backend **out, mlp_dims dims, int max_batch, mlp_data train,
                        mlp_data val, char *err, size_t errlen)
{
    *out = NULL;
    if (dims.out > MLP_MAX_OUT) {
        snprintf(err, errlen, "at most %d classes (got %d)", MLP_MAX_OUT, dims.out);
        return MLP_ERROR;
    }
    mlp_backend *b = (mlp_backend *)calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return MLP_ERROR;
    }
    b->d = dims;
    b->max_batch = max_batch;
    b->n_train = train.n;
    b->n_val = val.n;
    b->off_w1 = 0;
    b->off_b1 = (size_t)dims.hidden * dims.in;
    b->off_w2 = b->off_b1 + dims.hidden;
    b->off_b2 = b->off_w2 + (size_t)dims.out * dims.hidden;
    b->n_params = mlp_param_count(dims);
    int rc = pick_device(b);
    if (rc == 0)
        rc = allocate(b, train, val);
    if (rc != 0) {
        snprintf(err, errlen, "%s", b->err);
        mlp_close(b);
        return rc;
    }
    *out = b;
    return 0;
}

extern "C" void mlp_close(mlp_backend *b)
{
    if (!b)
        return;
    void *bufs[] = {b->x_train, b->x_val, b->y_train, b->y_val, b->order, b->identity, b->params,
                    b->velocity, b->grad, b->a1, b->dz1, b->dz2, b->loss, b->correct};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i])
            cudaFree(bufs[i]);
    free(b);
}

extern "C" int mlp_set_state(mlp_backend *b, const float *params, const float *velocity)
{
    TRY(b, cudaMemcpy(b->params, params, b->n_params * sizeof(float), cudaMemcpyHostToDevice));
    TRY(b, cudaMemcpy(b->velocity, velocity, b->n_params * sizeof(float), cudaMemcpyHostToDevice));
    return 0;
}

extern "C" int mlp_get_state(mlp_backend *b, float *params, float *velocity)
{
    TRY(b, cudaMemcpy(params, b->params, b->n_params * sizeof(float), cudaMemcpyDeviceToHost));
    TRY(b, cudaMemcpy(velocity, b->velocity, b->n_params * sizeof(float), cudaMemcpyDeviceToHost));
    return 0;
}

extern "C" int mlp_set_order(mlp_backend *b, const int *order)
{
    TRY(b, cudaMemcpy(b->order, order, (size_t)b->n_train * sizeof(int), cudaMemcpyHostToDevice));
    return 0;
}

/* Forward pass of rows idx[0..rows-1] of x: the hidden layer, then the
 * softmax layer adding to loss/correct (and writing dz2 when given). */
static void forward(mlp_backend *b, const float *x, const int *y, const int *idx, int rows,
                    float *dz2, double *loss, int *correct)
{
    const mlp_dims d = b->d;
    LAUNCH(hidden_forward, blocks_for((size_t)rows * d.hidden))(
        x, idx, rows, b->params + b->off_w1, b->params + b->off_b1, d.in, d.hidden, b->a1);
    LAUNCH(output_softmax, blocks_for((size_t)rows))(b->a1, y, idx, rows, b->params + b->off_w2,
                                                     b->params + b->off_b2, d.hidden, d.out, dz2,
                                                     loss, correct);
}

extern "C" int mlp_train_batch(mlp_backend *b, int first, int count, mlp_hyper hp)
{
    const mlp_dims d = b->d;
    const int *idx = b->order + first;
    /* The kernels run in order on the default stream: every gradient is
     * computed from the weights before this step's update. */
    forward(b, b->x_train, b->y_train, idx, count, b->dz2, &b->loss[0], &b->correct[0]);
    LAUNCH(output_grad, blocks_for((size_t)d.out * d.hidden + d.out))(
        b->dz2, b->a1, count, d.hidden, d.out, b->grad + b->off_w2, b->grad + b->off_b2);
    LAUNCH(hidden_backward, blocks_for((size_t)count * d.hidden))(
        b->dz2, b->params + b->off_w2, b->a1, count, d.hidden, d.out, b->dz1);
    LAUNCH(hidden_grad, blocks_for((size_t)d.hidden * d.in + d.hidden))(
        b->dz1, b->x_train, idx, count, d.in, d.hidden, b->grad + b->off_w1, b->grad + b->off_b1);
    LAUNCH(sgd_update, blocks_for(b->n_params))(b->params, b->velocity, b->grad, b->n_params,
                                                b->off_b1, b->off_w2, b->off_b2, hp.lr, hp.momentum,
                                                hp.weight_decay);
    TRY(b, cudaGetLastError());         /* launch errors; faults surface at the next wait */
    return 0;
}

extern "C" int mlp_take_train_loss(mlp_backend *b, double *loss_sum)
{
    TRY(b, cudaMemcpy(loss_sum, &b->loss[0], sizeof(double), cudaMemcpyDeviceToHost));
    TRY(b, cudaMemset(&b->loss[0], 0, sizeof(double)));
    return 0;
}

extern "C" int mlp_evaluate(mlp_backend *b, double *loss_sum, int *correct)
{
    TRY(b, cudaMemset(&b->loss[1], 0, sizeof(double)));
    TRY(b, cudaMemset(&b->correct[1], 0, sizeof(int)));
    for (int first = 0; first < b->n_val; first += b->max_batch) {
        int rows = b->n_val - first < b->max_batch ? b->n_val - first : b->max_batch;
        forward(b, b->x_val, b->y_val, b->identity + first, rows, NULL, &b->loss[1], &b->correct[1]);
    }
    TRY(b, cudaGetLastError());
    TRY(b, cudaMemcpy(loss_sum, &b->loss[1], sizeof(double), cudaMemcpyDeviceToHost));
    TRY(b, cudaMemcpy(correct, &b->correct[1], sizeof(int), cudaMemcpyDeviceToHost));
    return 0;
}
