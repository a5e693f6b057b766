/*
 * fuzz_spec.c -- libFuzzer target: the spec parser (lib/spec/spec.c, libyaml)
 * on arbitrary bytes must answer with a spec or one error, never crash,
 * leak or read out of bounds.  Run by `make fuzz`.
 */
#include <stddef.h>
#include <stdint.h>
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hpo_spec *spec = NULL;
    if (spec_parse(&spec, "fuzz.yaml", (const char *)data, size) == 0) spec_free(spec);
    return 0;
}
