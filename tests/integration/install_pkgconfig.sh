# `make install PREFIX=...` installs hpo, libhpo.a/.so, hpo.h and hpo.pc, and
# a C trial program builds against the installed copy with pkg-config alone
# and reports through hpo_report().
source tests/integration/common.bash
make -s install PREFIX="$TMP/prefix" SAN="${SAN:-}" >/dev/null
for f in bin/hpo lib/libhpo.a lib/libhpo.so lib/libhpo.so.0 include/hpo.h lib/pkgconfig/hpo.pc \
         share/hpo/round.sbatch.in share/hpo/driver.sbatch.in share/hpo/hpo-driver.sh; do
    [ -e "$TMP/prefix/$f" ] || fail "make install did not install $f"
done
export PKG_CONFIG_PATH="$TMP/prefix/lib/pkgconfig"
assert_eq "$(pkg-config --modversion hpo)" "$("$HPO" --version | cut -d' ' -f2)" "hpo.pc version"
cat > "$TMP/t.c" <<'C'
#include <hpo.h>
#include <stdio.h>
int main(void) {
    if (hpo_report("acc", 0.75, 2) != 0) { fprintf(stderr, "%s\n", hpo_error_last()); return 1; }
    return 0;
}
C
san=""
[ "${SAN:-}" = 1 ] && san="-fsanitize=address,undefined"
cc $san -o "$TMP/t" "$TMP/t.c" $(pkg-config --cflags --libs hpo) -Wl,-rpath,"$TMP/prefix/lib" \
    || fail "a program does not build against the installed library"
# outside a trial it says why; inside (HPO_JOURNAL set) it records the report
if "$TMP/t" 2>"$TMP/err"; then fail "hpo_report outside a trial succeeded"; fi
assert_contains "$(cat "$TMP/err")" "HPO_JOURNAL" "error outside a trial"
mkdir "$TMP/trial"
HPO_JOURNAL="$TMP/trial/journal" "$TMP/t" || fail "hpo_report failed inside a trial"
grep -q ' r 2 [0-9.e+]* acc 0.75$' "$TMP/trial/journal" || fail "report not in journal: $(cat "$TMP/trial/journal")"
echo ok
