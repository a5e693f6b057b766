/* reporter N: report N metrics through hpo_report() ("loss" at steps 0..N-1)
 * as fast as it can; the hpo_report() twin of spew.c. */
#include <hpo.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    for (long i = 0; i < n; i++)
        if (hpo_report("loss", 1.0 / (double)(i + 1), i) != 0) {
            fprintf(stderr, "reporter: %s\n", hpo_error_last());
            return 1;
        }
    return 0;
}
