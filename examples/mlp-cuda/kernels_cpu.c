/* kernels_cpu.c -- the MLP's arithmetic on the CPU, in plain C (kernels.h).
 *
 * Each function here is the loop version of one kernel of kernels_cuda.cu:
 * where a CUDA thread computes one output element by summing its terms in
 * ascending order, the loops below add the same terms to the same element in
 * the same order (starting from 0.0f, the bias added last), so both builds
 * round alike.  The loops are nested so that the innermost one runs over
 * contiguous memory where that does not change any element's order of sums.
 * Built with -std=c11, gcc does not fuse a*b+c into an FMA
 * (-ffp-contract=off), and the CUDA build is compiled with -fmad=false to
 * match.
 */
#include "kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mlp_backend {
    mlp_dims d;
    int max_batch;
    mlp_data train, val;
    const int *order;           /* this epoch's order of the training rows */
    int *identity;              /* 0..val.n-1: evaluation visits rows in order */
    float *params, *velocity, *grad;
    float *a1;                  /* [max_batch][hidden] hidden activations */
    float *dz1;                 /* [max_batch][hidden] gradient at the hidden pre-activation */
    float *dz2;                 /* [max_batch][out]   gradient at the logits */
    double train_loss;
    char err[256];
};

/* Offsets of the four blocks of the flat parameter array (kernels.h). */
typedef struct layout {
    size_t w1, b1, w2, b2, n;
} layout;

static layout layout_of(mlp_dims d)
{
    layout l;
    l.w1 = 0;
    l.b1 = (size_t)d.hidden * d.in;
    l.w2 = l.b1 + d.hidden;
    l.b2 = l.w2 + (size_t)d.out * d.hidden;
    l.n = l.b2 + d.out;
    return l;
}

const char *mlp_backend_name(void) { return "cpu"; }
const char *mlp_device_name(const mlp_backend *b) { (void)b; return "cpu (one thread)"; }
const char *mlp_error(const mlp_backend *b) { return b->err; }

int mlp_open(mlp_backend **out, mlp_dims dims, int max_batch,
             mlp_data train, mlp_data val, char *err, size_t errlen)
{
    *out = NULL;
    if (dims.out > MLP_MAX_OUT) {
        snprintf(err, errlen, "at most %d classes (got %d)", MLP_MAX_OUT, dims.out);
        return MLP_ERROR;
    }
    mlp_backend *b = calloc(1, sizeof *b);
    size_t n = mlp_param_count(dims);
    if (b) {
        b->d = dims;
        b->max_batch = max_batch;
        b->train = train;
        b->val = val;
        b->identity = malloc(sizeof(int) * (size_t)(val.n > 0 ? val.n : 1));
        b->params = calloc(n, sizeof(float));
        b->velocity = calloc(n, sizeof(float));
        b->grad = calloc(n, sizeof(float));
        b->a1 = malloc(sizeof(float) * (size_t)max_batch * dims.hidden);
        b->dz1 = malloc(sizeof(float) * (size_t)max_batch * dims.hidden);
        b->dz2 = malloc(sizeof(float) * (size_t)max_batch * dims.out);
    }
    if (!b || !b->identity || !b->params || !b->velocity || !b->grad || !b->a1 || !b->dz1 || !b->dz2) {
        mlp_close(b);
        snprintf(err, errlen, "out of memory");
        return MLP_ERROR;
    }
    for (int i = 0; i < val.n; i++)
        b->identity[i] = i;
    *out = b;
    return 0;
}

void mlp_close(mlp_backend *b)
{
    if (!b)
        return;
    free(b->identity);
    free(b->params);
    free(b->velocity);
    free(b->grad);
    free(b->a1);
    free(b->dz1);
    free(b->dz2);
    free(b);
}

int mlp_set_state(mlp_backend *b, const float *params, const float *velocity)
{
    size_t n = mlp_param_count(b->d);
    memcpy(b->params, params, n * sizeof(float));
    memcpy(b->velocity, velocity, n * sizeof(float));
    return 0;
}

int mlp_get_state(mlp_backend *b, float *params, float *velocity)
{
    size_t n = mlp_param_count(b->d);
    memcpy(params, b->params, n * sizeof(float));
    memcpy(velocity, b->velocity, n * sizeof(float));
    return 0;
}

int mlp_set_order(mlp_backend *b, const int *order)
{
    b->order = order;           /* mlp.c keeps it until the next call */
    return 0;
}

/* a1[r][h] = relu(sum_d x[idx[r]][d] W1[h][d] + b1[h])  (kernel hidden_forward) */
static void hidden_forward(const mlp_backend *b, const float *x, const int *idx, int rows)
{
    const mlp_dims d = b->d;
    const layout l = layout_of(d);
    const float *w1 = b->params + l.w1, *b1 = b->params + l.b1;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)idx[r] * d.in;
        for (int h = 0; h < d.hidden; h++) {
            const float *wh = w1 + (size_t)h * d.in;
            float s = 0.0f;
            for (int k = 0; k < d.in; k++)
                s += xr[k] * wh[k];
            s += b1[h];
            b->a1[(size_t)r * d.hidden + h] = s > 0.0f ? s : 0.0f;
        }
    }
}

/* The logits, softmax and cross-entropy of each row (kernel output_softmax).
 * Adds the summed loss to *loss and the correct predictions to *correct;
 * with dz2, writes the gradient of the batch's mean loss at the logits. */
static void output_softmax(const mlp_backend *b, const int *y, const int *idx, int rows,
                           float *dz2, double *loss, int *correct)
{
    const mlp_dims d = b->d;
    const layout l = layout_of(d);
    const float *w2 = b->params + l.w2, *b2 = b->params + l.b2;
    for (int r = 0; r < rows; r++) {
        const float *ar = b->a1 + (size_t)r * d.hidden;
        const int label = y[idx[r]];
        float logit[MLP_MAX_OUT] = {0}, e[MLP_MAX_OUT] = {0};
        for (int c = 0; c < d.out; c++) {
            const float *wc = w2 + (size_t)c * d.hidden;
            float s = 0.0f;
            for (int h = 0; h < d.hidden; h++)
                s += ar[h] * wc[h];
            logit[c] = s + b2[c];
        }
        /* Subtracting the largest logit keeps expf from overflowing; a NaN
         * logit (a diverged model) carries through to the loss. */
        int best = 0;
        for (int c = 1; c < d.out; c++)
            if (logit[c] > logit[best])
                best = c;
        const float m = logit[best];
        float sum = 0.0f;
        for (int c = 0; c < d.out; c++) {
            e[c] = mlp_expf(logit[c] - m);
            sum += e[c];
        }
        *loss += (double)(mlp_logf(sum) - (logit[label] - m));
        *correct += best == label;
        if (dz2)
            for (int c = 0; c < d.out; c++)
                dz2[(size_t)r * d.out + c] = (e[c] / sum - (c == label ? 1.0f : 0.0f)) / (float)rows;
    }
}

/* gW2[c][h] = sum_r dz2[r][c] a1[r][h], gb2[c] = sum_r dz2[r][c]  (kernel output_grad) */
static void output_grad(mlp_backend *b, int rows)
{
    const mlp_dims d = b->d;
    const layout l = layout_of(d);
    float *gw2 = b->grad + l.w2, *gb2 = b->grad + l.b2;
    memset(gw2, 0, sizeof(float) * (size_t)d.out * d.hidden);
    for (int c = 0; c < d.out; c++) {
        float *gc = gw2 + (size_t)c * d.hidden;
        float s = 0.0f;
        for (int r = 0; r < rows; r++) {
            const float g = b->dz2[(size_t)r * d.out + c];
            const float *ar = b->a1 + (size_t)r * d.hidden;
            for (int h = 0; h < d.hidden; h++)
                gc[h] += g * ar[h];
            s += g;
        }
        gb2[c] = s;
    }
}

/* dz1[r][h] = (a1[r][h] > 0) * sum_c dz2[r][c] W2[c][h]  (kernel hidden_backward) */
static void hidden_backward(mlp_backend *b, int rows)
{
    const mlp_dims d = b->d;
    const float *w2 = b->params + layout_of(d).w2;
    memset(b->dz1, 0, sizeof(float) * (size_t)rows * d.hidden);
    for (int r = 0; r < rows; r++) {
        float *zr = b->dz1 + (size_t)r * d.hidden;
        const float *ar = b->a1 + (size_t)r * d.hidden;
        for (int c = 0; c < d.out; c++) {
            const float g = b->dz2[(size_t)r * d.out + c];
            const float *wc = w2 + (size_t)c * d.hidden;
            for (int h = 0; h < d.hidden; h++)
                zr[h] += g * wc[h];
        }
        for (int h = 0; h < d.hidden; h++)
            if (!(ar[h] > 0.0f))
                zr[h] = 0.0f;
    }
}

/* gW1[h][k] = sum_r dz1[r][h] x[idx[r]][k], gb1[h] = sum_r dz1[r][h]  (kernel hidden_grad) */
static void hidden_grad(mlp_backend *b, const int *idx, int rows)
{
    const mlp_dims d = b->d;
    const layout l = layout_of(d);
    float *gw1 = b->grad + l.w1, *gb1 = b->grad + l.b1;
    memset(gw1, 0, sizeof(float) * (size_t)d.hidden * d.in);
    for (int h = 0; h < d.hidden; h++) {
        float *gh = gw1 + (size_t)h * d.in;
        float s = 0.0f;
        for (int r = 0; r < rows; r++) {
            const float g = b->dz1[(size_t)r * d.hidden + h];
            const float *xr = b->train.x + (size_t)idx[r] * d.in;
            for (int k = 0; k < d.in; k++)
                gh[k] += g * xr[k];
            s += g;
        }
        gb1[h] = s;
    }
}

/* v = momentum v + (g + weight_decay w), w -= lr v; no decay on the biases
 * (kernel sgd_update). */
static void sgd_update(mlp_backend *b, mlp_hyper hp)
{
    const layout l = layout_of(b->d);
    for (size_t i = 0; i < l.n; i++) {
        const int is_bias = (i >= l.b1 && i < l.w2) || i >= l.b2;
        float g = b->grad[i];
        if (!is_bias)
            g += hp.weight_decay * b->params[i];
        b->velocity[i] = hp.momentum * b->velocity[i] + g;
        b->params[i] -= hp.lr * b->velocity[i];
    }
}

int mlp_train_batch(mlp_backend *b, int first, int count, mlp_hyper h)
{
    const int *idx = b->order + first;
    int correct = 0;
    hidden_forward(b, b->train.x, idx, count);
    output_softmax(b, b->train.y, idx, count, b->dz2, &b->train_loss, &correct);
    output_grad(b, count);
    hidden_backward(b, count);
    hidden_grad(b, idx, count);
    sgd_update(b, h);
    return 0;
}

int mlp_take_train_loss(mlp_backend *b, double *loss_sum)
{
    *loss_sum = b->train_loss;
    b->train_loss = 0.0;
    return 0;
}

int mlp_evaluate(mlp_backend *b, double *loss_sum, int *correct)
{
    *loss_sum = 0.0;
    *correct = 0;
    for (int first = 0; first < b->val.n; first += b->max_batch) {
        int rows = b->val.n - first < b->max_batch ? b->val.n - first : b->max_batch;
        hidden_forward(b, b->val.x, b->identity + first, rows);
        output_softmax(b, b->val.y, b->identity + first, rows, NULL, loss_sum, correct);
    }
    return 0;
}
