/*
 * metric_name.c -- the grammar of metric names (see metric_name.h).
 */
#include "core/metric_name.h"

static int name_char(unsigned char c, int first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') return 1;
    if (first) return 0;
    return (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '/' || c == '-';
}

int metric_name_ok(const char *s, size_t n)
{
    if (!s || n == 0 || n >= HPO_METRIC_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_char((unsigned char)s[i], i == 0)) return 0;
    return 1;
}
