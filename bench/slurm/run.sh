#!/bin/bash
# Slurm benchmarks, on the local test cluster (slurm/testcluster), printed
# side by side; run by hand (`make bench`), never in the tests.
#
#  1. Submitting one 1,000-task array: libslurm vs sbatch via fork/exec
#     (ms per submit, held and cancelled at once).
#  2. Round turnaround of a chained sweep: seconds from the last task of
#     round k ending to the first task of round k+1 starting, next to the
#     same gap for two plain jobs chained with afterany (Slurm's floor).
#  3. `hpo drive --once` on an experiment of 10,000 finished trials: the
#     first step (ingests them all) and a steady-state step.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
hpo=$root/bin/hpo
work=$(mktemp -d /tmp/hpo-bench-slurm.XXXXXX)
trap '"$root/slurm/testcluster/stop.sh" "$work/slurm" >/dev/null 2>&1; rm -rf "$work"' EXIT
cd "$root"
SLURM_TEST_MAX_JOB_COUNT=100000 SLURM_TEST_PORT_BASE=${SLURM_TEST_PORT_BASE:-23500} slurm/testcluster/start.sh "$work/slurm" > /dev/null 2>&1
source "$work/slurm/env"

echo "== 1. submit one 1,000-task array (held), 20 times"
cc -O2 -std=c11 -D_GNU_SOURCE -Ilib -DHPO_HAVE_LIBSLURM "$here/bench_submit.c" build/release/libhpo-internal.a \
    $(pkg-config --libs hdf5) -lhdf5_hl -lyaml -lcrypto -llapacke -lopenblas -ldeflate -lm -lslurm -o "$work/bench_submit"
printf '#!/bin/sh\ntrue\n' > "$work/task.sh"
"$work/bench_submit" --tasks 1000 --reps 20 "$work/task.sh" | awk '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } names[++n] = $1 }
    END { printf "%-10s %12s %10s\n", "backend", "median ms", "min ms"
          for (i = 1; i <= n; i++) printf "%-10s %12s %10s\n", names[i], v[names[i], "median_ms"], v[names[i], "min_ms"]
          if (n == 2) printf "libslurm is %.1fx faster than sbatch\n", v[names[2], "median_ms"] / v[names[1], "median_ms"] }'

echo "== 2. round turnaround (chained sweep of 5 rounds) vs two afterany-chained jobs"
printf '#!/bin/sh\ndate +%%s.%%N > "%s/$1.start"\nsleep 1\ndate +%%s.%%N > "%s/$1.end"\n' "$work" "$work" > "$work/stamp.sh"
chmod +x "$work/stamp.sh"
floors=""
for i in 1 2 3; do
    a=$(sbatch --parsable --output=/dev/null "$work/stamp.sh" "a$i")
    sbatch --parsable --output=/dev/null --dependency=afterany:$a "$work/stamp.sh" "b$i" > /dev/null
done
for _ in $(seq 1 120); do [ -z "$(squeue -h)" ] && break; sleep 0.5; done
for i in 1 2 3; do floors="$floors $(echo "$(cat "$work/b$i.start") - $(cat "$work/a$i.end")" | bc)"; done
mkdir -p "$work/sweep"
cp examples/quadratic/quadratic "$work/sweep/"
cat > "$work/sweep/spec.yaml" <<'YAML'
name: turnaround
command: [./quadratic, --x, "{x}", --lr, "0.01", --n, "7", --kind, "b"]
space:
  x: {type: float, low: -5, high: 5}
objective: {metric: loss}
budget: {max_trials: 20}
parallel: {round_size: 4, max_concurrent: 4}
YAML
sbatch --output=/dev/null --chdir="$root" slurm/hpo-driver.sh "$work/exp" "$work/sweep/spec.yaml" > /dev/null
for _ in $(seq 1 240); do "$hpo" status "$work/exp" 2>/dev/null | grep -q '^stopped' && break; sleep 0.5; done
/usr/bin/python3 - "$work/exp/results.h5" "$floors" <<'PY'
import sys, statistics, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
floors = [float(x) for x in sys.argv[2].split()]
gaps = []
for k in range(t["round"].max()):
    end = t[t["round"] == k]["end_time"].max()
    start = t[t["round"] == k + 1]["start_time"].min()
    gaps.append(start - end)
print("%-34s %8s %8s %8s" % ("", "median s", "min s", "max s"))
for name, xs in (("hpo round turnaround", gaps), ("Slurm floor (afterany job to job)", floors)):
    print("%-34s %8.2f %8.2f %8.2f" % (name, statistics.median(xs), min(xs), max(xs)))
print("hpo - floor: %.2f s (aim: within 1 s)" % (statistics.median(gaps) - statistics.median(floors)))
PY

echo "== 3. hpo drive --once on 10,000 finished trials"
/usr/bin/python3 bench/ingest/make_experiment.py "$work/big" --trials 10000 --points 100
sed -i 's/max_trials: 100000/max_trials: 10000/' "$work/big/spec.yaml"
for step in first steady steady; do
    t0=$(date +%s.%N)
    "$hpo" drive "$work/big" --once > /dev/null
    t1=$(date +%s.%N)
    printf "%-8s step: %6.0f ms\n" "$step" "$(echo "($t1 - $t0) * 1000" | bc)"
done
