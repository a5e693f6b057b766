# Over-memory on a real Slurm: the test cluster kills a job past its --mem
# (jobacct_gather/linux with OverMemoryKill; no cgroups), which Slurm then
# calls FAILED with exit 0:9 and only the job's output says was memory.  The
# trial that grows past slurm.mem is recorded as oom, with a reason that
# says so, in its end record, results.h5 and hpo status; the other trial
# completes.
source tests/integration/common.bash
source tests/integration/slurm.bash
SLURM_TEST_MEM_KILL=1 start_cluster
mkdir -p "$TMP/w"
cat > "$TMP/w/trial.sh" <<'SH2'
#!/bin/bash
case "$1" in
  big) /usr/bin/python3 -c '
import time
x = bytearray(400 * 1024 * 1024)
for i in range(0, len(x), 4096): x[i] = 1
time.sleep(60)' ;;
  *) echo "loss=1" ;;
esac
SH2
chmod +x "$TMP/w/trial.sh"
cat > "$TMP/w/spec.yaml" <<'YAML'
name: oom
command: [./trial.sh, "{case}"]
space:
  case: {type: choice, values: [big, small]}
objective: {metric: loss}
algorithm: grid
budget: {max_trials: 2}
parallel: {round_size: 2, max_concurrent: 2}
slurm: {time: "00:05:00", mem: 100M}
YAML
exp=$TMP/exp
for step in $(seq 1 120); do
    out=$("$HPO" drive "$exp" --spec "$TMP/w/spec.yaml" --once 2>&1) || fail "drive: $out"
    case "$out" in *"sweep stopped"*) break ;; esac
    sleep 0.5
done
assert_contains "$out" "budget.max_trials reached (2 trials)" "the sweep ends"
big=$(grep -l '^case=big' "$exp"/trials/t*/params 2>/dev/null | head -1 || :)
csv=$("$HPO" export "$exp" --csv)
echo "$csv" | grep -q ',oom,.*over its memory limit (Slurm: FAILED, job [0-9]*): exceeded memory limit ([0-9]* > 104857600).*,big$' \
    || fail "the over-memory trial is not recorded as oom: $csv"
assert_eq "$(grep -c ',completed,.*,small$' <<<"$csv")" 1 "the small trial completes"
st=$("$HPO" status "$exp")
echo "$st" | grep -q '^failed:     trial [01] (oom): over its memory limit' || fail "hpo status: $st"
$PY - "$exp/results.h5" <<'PY'
import sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
st = sorted(t["status"].tolist())
assert st == [b"completed", b"oom"], st
oom = t[t["status"] == b"oom"][0]
assert b"exceeded memory limit" in oom["reason"], oom["reason"]
PY
$PY tests/integration/check_results.py "$exp" > /dev/null
echo ok
