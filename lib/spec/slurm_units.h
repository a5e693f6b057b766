/*
 * slurm_units.h -- the one parser of the spec's Slurm `time` and `mem`
 * values, used by `hpo check` (spec.c) to refuse bad ones and by the Slurm
 * backends (slurm/rounds.c, slurm/libslurm.c) to convert good ones, so what
 * is accepted is exactly what converts.
 *
 *   time  MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (Slurm's forms).
 *         Fields after the first are bounded (minutes and seconds < 60,
 *         hours < 24 after a day); the first may be any size ("90" minutes).
 *         In minutes, rounded up; at most HPO_SLURM_TIME_MAX_MIN.
 *   mem   digits with an optional unit K, M, G or T (Slurm's default: M).
 *         In MiB, rounded up; at most HPO_SLURM_MEM_MAX_MIB.
 *
 * Both return 0, HPO_SLURM_UNIT_BAD for a malformed value, or
 * HPO_SLURM_UNIT_RANGE for one too large to convert (never an overflow).
 */
#ifndef HPO_SLURM_UNITS_H
#define HPO_SLURM_UNITS_H

#include <limits.h>

#define HPO_SLURM_UNIT_BAD   (-1)
#define HPO_SLURM_UNIT_RANGE (-2)

/* Seconds of the limit must fit an int (the warning signal's grace is
 * computed from it): 35791394 minutes, about 68 years. */
#define HPO_SLURM_TIME_MAX_MIN (INT_MAX / 60)
/* 1 EiB: far beyond any node, far below libslurm's flag bits. */
#define HPO_SLURM_MEM_MAX_MIB (1LL << 40)

int slurm_time_parse(const char *t, int *minutes);
int slurm_mem_parse(const char *m, long long *mib);

#endif
