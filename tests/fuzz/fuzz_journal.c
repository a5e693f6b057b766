/*
 * fuzz_journal.c -- libFuzzer target: the journal reader (lib/store/journal.c)
 * on arbitrary bytes -- torn lines, bad checksums, NULs, huge lines -- must
 * return the valid reports and count the rest, never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "store/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hpo_report_rec *recs = NULL;
    size_t n = 0, dropped = 0;
    journal_parse((const char *)data, size, &recs, &n, &dropped);
    journal_number_steps(recs, n);
    free(recs);
    return 0;
}
