/*
 * slurm_units.c -- Slurm's time and memory syntax (see slurm_units.h).
 */
#include "spec/slurm_units.h"

#include <stddef.h>
#include <string.h>

/* s[0..n) as a number: digits only, at least one, at most 12 (so the value
 * and any product below stay far inside long long). */
static int digits(const char *s, size_t n, long long *v)
{
    if (n == 0) return HPO_SLURM_UNIT_BAD;
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return HPO_SLURM_UNIT_BAD;
        if (i >= 12) return HPO_SLURM_UNIT_RANGE;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

int slurm_time_parse(const char *t, int *minutes)
{
    if (!t || !*t) return HPO_SLURM_UNIT_BAD;
    const char *dash = strchr(t, '-'), *p = t;
    long long days = 0, f[3];
    int n = 0, rc;
    if (dash) {
        if ((rc = digits(t, (size_t)(dash - t), &days))) return rc;
        p = dash + 1;
    }
    for (;;) {
        if (n == 3) return HPO_SLURM_UNIT_BAD;
        size_t len = strcspn(p, ":");
        if ((rc = digits(p, len, &f[n]))) return rc;
        n++;
        p += len;
        if (!*p) break;
        p++;
    }
    long long h = 0, m = 0, s = 0;
    if (dash) {                                        /* D-HH[:MM[:SS]] */
        h = f[0];
        if (n > 1) m = f[1];
        if (n > 2) s = f[2];
        if (h > 23 || m > 59 || s > 59) return HPO_SLURM_UNIT_BAD;
    } else if (n == 1) {                               /* MM */
        m = f[0];
    } else if (n == 2) {                               /* MM:SS */
        m = f[0], s = f[1];
        if (s > 59) return HPO_SLURM_UNIT_BAD;
    } else {                                           /* HH:MM:SS */
        h = f[0], m = f[1], s = f[2];
        if (m > 59 || s > 59) return HPO_SLURM_UNIT_BAD;
    }
    long long total = days * 1440 + h * 60 + m + (s > 0);
    if (total > HPO_SLURM_TIME_MAX_MIN) return HPO_SLURM_UNIT_RANGE;
    if (minutes) *minutes = (int)total;
    return 0;
}

int slurm_mem_parse(const char *m, long long *mib)
{
    if (!m || !*m) return HPO_SLURM_UNIT_BAD;
    size_t n = strlen(m);
    long long mult = 1, div = 1, v;
    switch (n > 1 ? m[n - 1] : '\0') {
    case 'K': case 'k': div = 1024; n--; break;
    case 'M': case 'm': n--; break;
    case 'G': case 'g': mult = 1024; n--; break;
    case 'T': case 't': mult = 1024 * 1024; n--; break;
    }
    int rc = digits(m, n, &v);
    if (rc) return rc;
    if (v > HPO_SLURM_MEM_MAX_MIB / mult) return HPO_SLURM_UNIT_RANGE;
    if (mib) *mib = (v * mult + div - 1) / div;
    return 0;
}
