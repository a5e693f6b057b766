/*
 * fuzz_metrics.c -- libFuzzer target: the stdout metric-line parser
 * (lib/trial/metrics.c) on arbitrary bytes, never reading past the line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "trial/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan catches any read past the end. */
    char *line = malloc(size ? size : 1);
    memcpy(line, data, size);
    hpo_metric_kv kv[8];
    long step;
    metrics_parse_line(line, size, kv, 8, &step);
    free(line);
    return 0;
}
