/* cuda_emu.h -- just enough of the CUDA runtime, on the CPU, to run
 * kernels_cuda.cu without a GPU, for tests only:
 *
 *   g++ -std=c++11 -O2 -DMLP_CUDA_EMULATE -x c++ -c kernels_cuda.cu
 *
 * A launch runs every thread of every block one after another; "device"
 * memory is host memory and atomics are plain additions.  What it checks is
 * the arithmetic and indexing of the kernels and the host code around them
 * (tests/integration/mlp_example.sh compares its output with the CPU
 * build's); it cannot catch races, a host access to device memory, or
 * anything about real GPUs.
 */
#ifndef MLP_CUDA_EMU_H
#define MLP_CUDA_EMU_H

#include <stdlib.h>
#include <string.h>

#define __global__
#define __host__
#define __device__

typedef int cudaError_t;
enum { cudaSuccess = 0 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost };

struct emu_dim3 {
    unsigned x;
};
static emu_dim3 blockIdx, threadIdx, blockDim;

struct cudaDeviceProp {
    char name[256];
    int major, minor;
};

static inline const char *cudaGetErrorString(cudaError_t) { return "emulated CUDA error"; }
static inline cudaError_t cudaGetDeviceCount(int *n) { *n = 1; return cudaSuccess; }
static inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
static inline cudaError_t cudaGetLastError(void) { return cudaSuccess; }

static inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int)
{
    strcpy(p->name, "CUDA emulated on the CPU");
    p->major = p->minor = 0;
    return cudaSuccess;
}

static inline cudaError_t cudaMalloc(void **p, size_t n)
{
    *p = malloc(n);
    return *p ? cudaSuccess : 2;     /* 2: cudaErrorMemoryAllocation */
}

static inline cudaError_t cudaFree(void *p) { free(p); return cudaSuccess; }

static inline cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind)
{
    memcpy(dst, src, n);
    return cudaSuccess;
}

static inline cudaError_t cudaMemset(void *p, int v, size_t n)
{
    memset(p, v, n);
    return cudaSuccess;
}

static inline double atomicAdd(double *p, double v) { double old = *p; *p += v; return old; }
static inline int atomicAdd(int *p, int v) { int old = *p; *p += v; return old; }

/* LAUNCH(kernel, blocks)(args...): every thread in turn. */
template <typename F> struct emu_launch {
    F kernel;
    unsigned blocks;
    template <typename... A> void operator()(A... args) const
    {
        blockDim.x = THREADS;
        for (unsigned b = 0; b < blocks; b++)
            for (unsigned t = 0; t < THREADS; t++) {
                blockIdx.x = b;
                threadIdx.x = t;
                kernel(args...);
            }
    }
};

template <typename F> emu_launch<F> emu_make_launch(F kernel, unsigned blocks)
{
    emu_launch<F> l = {kernel, blocks};
    return l;
}

#define LAUNCH(kernel, blocks) emu_make_launch(kernel, (blocks))

#endif
