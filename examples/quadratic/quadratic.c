/*
 * quadratic.c -- a trial program with a known optimum, for trying hpo and
 * for its tests.  It "trains" for 5 steps and reports its loss through the
 * C API, hpo_report():
 *
 *   loss = (x - 1.5)^2 + (log10(lr) + 2)^2 + ((n - 7) / 5)^2 + [kind != b]
 *
 * so the best config is x = 1.5, lr = 0.01, n = 7, kind = b (loss 0).
 * Usage: quadratic --x X --lr LR --n N --kind K
 */
#include <hpo.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    double x = NAN, lr = NAN, n = NAN;
    const char *kind = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--x") == 0) x = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--lr") == 0) lr = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--n") == 0) n = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--kind") == 0) kind = argv[i + 1];
    }
    if (isnan(x) || !(lr > 0) || isnan(n) || !kind) {
        fprintf(stderr, "usage: quadratic --x X --lr LR --n N --kind K\n");
        return 2;
    }
    double loss = pow(x - 1.5, 2) + pow(log10(lr) + 2, 2) + pow((n - 7) / 5, 2) + (strcmp(kind, "b") != 0);
    for (int step = 1; step <= 5; step++) {
        /* A learning curve that decays towards the final loss. */
        double value = loss + 1.0 / step - 0.2;
        if (hpo_report("loss", value, step) != 0) {
            fprintf(stderr, "quadratic: %s\n", hpo_error_last());
            return 1;
        }
        printf("step %d: loss %.6f\n", step, value);
    }
    return 0;
}
