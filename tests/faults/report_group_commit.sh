# hpo_report() group-commits like metric lines on stdout: a burst of 50,000
# reports costs one fsync (the process's first report) when
# HPO_JOURNAL_SYNC_MS is long, yet each report is written before the call
# returns, so a SIGKILL of the trial runner, of `hpo run` and of the trial
# itself loses none of them, and every line in the journal is whole and
# checksummed.  fsync is counted by wrapping it at link time (-Wl,--wrap):
# the real fsync still runs.
source tests/integration/common.bash
san=""
[ "${SAN:-}" = 1 ] && san="-fsanitize=address,undefined"
cat > "$TMP/burst.c" <<'C'
#include <hpo.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static long fsyncs;
int __real_fsync(int fd);
int __wrap_fsync(int fd) { fsyncs++; return __real_fsync(fd); }
int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pid", getenv("HPO_TRIAL_DIR"));
    FILE *f = fopen(path, "w");
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
    for (long i = 0; i < 50000; i++)
        if (hpo_report("loss", 1.0 / (double)(i + 1), i) != 0) { fprintf(stderr, "%s\n", hpo_error_last()); return 1; }
    snprintf(path, sizeof path, "%s/fsyncs", getenv("HPO_TRIAL_DIR"));
    f = fopen(path, "w");
    fprintf(f, "%ld\n", fsyncs);
    fclose(f);
    sleep(1000);   /* killed here */
    return 0;
}
C
cc $san -o "$TMP/burst" "$TMP/burst.c" -Ilib lib/libhpo.a -Wl,--wrap=fsync -ldeflate -lm || fail "cannot build the trial"
one_trial_spec "[$TMP/burst, \"{x}\"]"
exp=$TMP/exp
(cd "$TMP" && HPO_JOURNAL_SYNC_MS=600000 exec "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) &
run=$!
dir=$exp/trials/t000000
for _ in $(seq 1 600); do
    [ -s "$dir/fsyncs" ] && break
    sleep 0.1
done
[ -s "$dir/fsyncs" ] || fail "the burst did not end: $(cat "$TMP/out")"
assert_eq "$(cat "$dir/fsyncs")" 1 "fsyncs of hpo_report() in a burst of 50,000"
runner=$(pgrep -f "hpo trial $exp 0 0" | head -1)
[ -n "$runner" ] || fail "no trial runner found"
kill -9 "$runner" "$run" "$(cat "$dir/pid")"
wait "$run" 2>/dev/null || :   # it was killed: its status is not the point
$PY - "$dir/journal" <<'PY' || fail "the journal lost or tore reports"
import sys
sys.path.insert(0, "tests/integration")
from journal_lines import reports
steps = [s for _, s, _ in reports(sys.argv[1])]
assert steps == list(range(50000)), len(steps)
PY
echo "ok: 50,000 hpo_report() calls, 1 fsync, none lost to SIGKILL of runner, hpo run and trial"
