# The installed libhpo is a library boundary: it exports only lib/hpo.h's
# hpo_* symbols, needs neither HDF5 nor Slurm, and a trial program that
# defines common names of its own (read_file, xmalloc, path_join, ...)
# links against libhpo.a and libhpo.so without a clash and keeps its own.
source tests/integration/common.bash
make -s install PREFIX="$TMP/prefix" SAN="${SAN:-}" >/dev/null
P=$TMP/prefix
export PKG_CONFIG_PATH="$P/lib/pkgconfig"

exports=$(nm -D --defined-only "$P/lib/libhpo.so.0" | awk '{print $3}' | sort)
assert_eq "$(grep -v '^hpo_' <<<"$exports" || true)" "" "libhpo.so exports only hpo_*"
assert_contains "$exports" "hpo_report" "libhpo.so exports hpo_report"
assert_contains "$exports" "hpo_error_last" "libhpo.so exports hpo_error_last"
globals=$(nm -g --defined-only "$P/lib/libhpo.a" | awk 'NF == 3 {print $3}' | sort -u)
assert_eq "$(grep -v '^hpo_' <<<"$globals" || true)" "" "libhpo.a defines only hpo_* globally"
deps=$(ldd "$P/lib/libhpo.so.0")
if grep -Eq 'hdf5|slurm|yaml|crypto' <<<"$deps"; then fail "libhpo.so depends on: $deps"; fi
pc=$(pkg-config --libs --static hpo)
if grep -Eq 'hdf5|slurm|yaml|crypto' <<<"$pc"; then fail "hpo.pc asks for: $pc"; fi

cat > "$TMP/t.c" <<'C'
#include <hpo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Names libhpo uses internally; this program's own must win. */
int read_file(const char *path, char **data, size_t *len) { (void)path; (void)data; (void)len; return 42; }
void *xmalloc(size_t n) { return malloc(n); }
char *path_join(const char *a, const char *b) { (void)a; (void)b; return NULL; }
double now_wall(void) { return -1.0; }
int write_all(int fd, const void *b, size_t n) { (void)fd; (void)b; (void)n; return 7; }
unsigned crc32_of(const void *d, size_t n) { (void)d; (void)n; return 0; }
void fault_point(const char *p) { (void)p; }
int mkdir_p(const char *p, unsigned m) { (void)p; (void)m; return 0; }
int journal_open(const char *d, int *fd) { (void)d; (void)fd; return 0; }
int hpo_error(int code, const char *fmt, ...) { (void)fmt; return code; }
int main(void) {
    if (read_file("x", NULL, NULL) != 42 || now_wall() != -1.0 || write_all(1, "", 0) != 7) {
        fprintf(stderr, "libhpo's internals replaced the program's own functions\n");
        return 2;
    }
    if (hpo_report("acc", 0.5, 3) != 0) { fprintf(stderr, "%s\n", hpo_error_last()); return 1; }
    return 0;
}
C
san=""
[ "${SAN:-}" = 1 ] && san="-fsanitize=address,undefined"
mkdir "$TMP/trial"
# static: the archive alone, then as pkg-config --static says
cc $san -o "$TMP/t-static" "$TMP/t.c" -I"$P/include" "$P/lib/libhpo.a" $(pkg-config --libs-only-other --static hpo) -ldeflate -lm \
    || fail "a program defining common names does not link against libhpo.a"
HPO_JOURNAL="$TMP/trial/journal" "$TMP/t-static" || fail "static: hpo_report failed"
# shared
cc $san -o "$TMP/t-shared" "$TMP/t.c" $(pkg-config --cflags --libs hpo) -Wl,-rpath,"$P/lib" \
    || fail "a program defining common names does not link against libhpo.so"
HPO_JOURNAL="$TMP/trial/journal" "$TMP/t-shared" || fail "shared: hpo_report failed"
assert_eq "$(grep -c ' r 3 [0-9.e+]* acc 0.5$' "$TMP/trial/journal")" 2 "both reports in the journal"
echo ok
