/*
 * gpu.h -- what GPUs a trial was given, through the CUDA runtime loaded at
 * run time (dlopen of libcudart.so.13, .12, then libcudart.so), so one hpo
 * binary runs on GPU nodes, CPU-only nodes and login nodes alike: where
 * there is no runtime, no driver or no device, the answer is "none".
 *
 * HPO_CUDART names the runtime library to use instead.
 *
 * The query runs in a short-lived child process: a CUDA context made in the
 * trial runner itself would hold memory on the trial's GPU for its whole
 * run.  Devices are numbered 0..count-1 of what CUDA_VISIBLE_DEVICES shows
 * (never Slurm's global index), with CUDA_DEVICE_ORDER=PCI_BUS_ID so that
 * the numbers match nvidia-smi's.
 */
#ifndef HPO_GPU_H
#define HPO_GPU_H

#include <stddef.h>

/* One line describing the visible GPUs, e.g.
 *   "0:NVIDIA H100 80GB HBM3 79.2GiB sm90"   (";" between devices),
 * or "none (<why>)" -- never fails.  `why` is set to a short reason when
 * there is none. */
void gpu_describe(char *out, size_t n);

#endif
