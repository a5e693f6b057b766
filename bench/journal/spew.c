/* spew N: print N metric lines ("step=I loss=X") as fast as stdio can. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    for (long i = 0; i < n; i++) printf("step=%ld loss=%.6f\n", i, 1.0 / (double)(i + 1));
    return 0;
}
