/*
 * gpu.c -- GPU facts through a dlopen'ed CUDA runtime (see gpu.h).
 */
#include "trial/gpu.h"
#include "core/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The few runtime entry points used, by their C ABI (stable across CUDA
 * versions, unlike struct cudaDeviceProp, of which only the leading
 * `char name[256]` is read). */
typedef int (*count_fn)(int *);
typedef int (*set_fn)(int);
typedef int (*attr_fn)(int *, int, int);
typedef int (*mem_fn)(size_t *, size_t *);
typedef int (*props_fn)(void *, int);

enum { ATTR_CC_MAJOR = 75, ATTR_CC_MINOR = 76 };   /* cudaDevAttrComputeCapability* */
enum { ERR_INSUFFICIENT_DRIVER = 35, ERR_STUB = 34, ERR_NO_DEVICE = 100 };

static void *open_runtime(void)
{
    const char *chosen = getenv("HPO_CUDART");   /* a site's own runtime, or none at all */
    if (chosen && *chosen) return dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
    static const char *names[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so", NULL};
    for (int i = 0; names[i]; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
    }
    return NULL;
}

/* In the child: write the description to fd. */
static void describe_into(int fd)
{
    char out[512] = "";
    void *h = open_runtime();
    if (!h) {
        dprintf(fd, "none (no CUDA runtime: libcudart not found)");
        return;
    }
    count_fn count = (count_fn)dlsym(h, "cudaGetDeviceCount");
    set_fn set = (set_fn)dlsym(h, "cudaSetDevice");
    attr_fn attr = (attr_fn)dlsym(h, "cudaDeviceGetAttribute");
    mem_fn mem = (mem_fn)dlsym(h, "cudaMemGetInfo");
    props_fn props = (props_fn)dlsym(h, "cudaGetDeviceProperties_v2");
    if (!props) props = (props_fn)dlsym(h, "cudaGetDeviceProperties");
    if (!count || !set || !attr || !mem || !props) {
        dprintf(fd, "none (libcudart lacks the runtime API)");
        return;
    }
    int n = 0;   /* left unwritten without a driver: docs/facts.md, "CUDA" */
    int e = count(&n);
    if (e == ERR_INSUFFICIENT_DRIVER || e == ERR_STUB || e == ERR_NO_DEVICE || (e == 0 && n == 0)) {
        dprintf(fd, "none (CUDA runtime present, %s)", e == ERR_NO_DEVICE || e == 0 ? "no device" : "no driver");
        return;
    }
    if (e != 0) {
        dprintf(fd, "none (cudaGetDeviceCount failed: error %d)", e);
        return;
    }
    for (int d = 0; d < n; d++) {
        static char prop[8192];   /* larger than any cudaDeviceProp */
        memset(prop, 0, sizeof prop);
        int major = 0, minor = 0;
        size_t free_b = 0, total_b = 0;
        if (set(d) != 0 || props(prop, d) != 0) continue;
        attr(&major, ATTR_CC_MAJOR, d);
        attr(&minor, ATTR_CC_MINOR, d);
        mem(&free_b, &total_b);
        prop[255] = '\0';
        size_t len = strlen(out);
        snprintf(out + len, sizeof out - len, "%s%d:%.200s %.1fGiB sm%d%d", d ? ";" : "", d, prop,
                 (double)total_b / (1 << 30), major, minor);
    }
    dprintf(fd, "%s", out[0] ? out : "none (no usable device)");
}

void gpu_describe(char *out, size_t n)
{
    snprintf(out, n, "none (the GPU query failed)");
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID", 0);
        describe_into(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return;
    }
    size_t len = 0;
    ssize_t r;
    while (len + 1 < n && (r = read(fds[0], out + len, n - 1 - len)) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        len += (size_t)r;
    }
    out[len] = '\0';
    close(fds[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    if (len == 0) snprintf(out, n, "none (the GPU query failed)");
}
