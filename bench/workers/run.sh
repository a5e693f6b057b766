#!/usr/bin/env bash
# bench/workers -- how busy a sweep keeps 4 GPUs: rounds mode (Hyperband,
# one array per round, the driver between rounds) against workers mode
# (ASHA, one array of 4 workers), on the local Slurm test cluster with 4 GPU
# gres, with the same heterogeneous workload (trial.py: 0.05-0.4 s per
# epoch by config, budgets 1..27, eta 3, checkpoints and resumes), and the
# lock hold per proposal with 10,000 trials in the history.  Figures, not a
# test: run by hand (as root: the test cluster needs it).
#
#   bench/workers/run.sh [TRIALS]        (default 138: two Hyperband iterations)
#   SPE=0.2 bench/workers/run.sh         seconds per epoch of the fastest config
#                                        (default 0.2: 0.2-1.6 s, as in issue 14)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
hpo=$root/bin/hpo
trials=${1:-138}
spe=${SPE:-0.2}
work=$(mktemp -d /tmp/hpo-bench-workers.XXXXXX)
trap 'slurm/testcluster/stop.sh "$work/slurm" >/dev/null 2>&1; rm -rf "$work"' EXIT
SLURM_TEST_PORT_BASE=$((22000 + RANDOM % 400 * 10)) slurm/testcluster/start.sh "$work/slurm" > /dev/null
source "$work/slurm/env"

spec() {   # $1 name, $2 algorithm, $3 parallel
    cat <<YAML
name: $1
command: [$root/bench/workers/trial.py, --lr, "{lr}", --width, "{width}", --epochs, "{epochs}", --spe, "$spe"]
space:
  lr:    {type: float, low: 1.0e-4, high: 1.0, log: true}
  width: {type: int, low: 16, high: 256, log: true}
objective: {metric: loss, mode: min}
fidelity:  {param: epochs, min: 1, max: 27, eta: 3}
algorithm: {name: $2}
budget:    {max_trials: $trials}
parallel:  $3
slurm:     {gres: "gpu:1", time: "00:20:00", cpus_per_task: 1, mem: 200M}
seed: 3
YAML
}
spec rounds-hyperband hyperband "{max_concurrent: 4}" > "$work/rounds.yaml"
spec workers-asha asha "{mode: workers, max_concurrent: 4}" > "$work/workers.yaml"

wait_stopped() {
    for _ in $(seq 1 7200); do
        "$hpo" status "$1" 2>/dev/null | grep -q '^stopped:' && return 0
        sleep 0.5
    done
    echo "bench/workers: $1 did not stop" >&2; return 1
}
for mode in rounds workers; do
    start=$(date +%s.%N)
    sbatch --chdir="$work" --output=/dev/null slurm/hpo-driver.sh "$work/$mode" "$work/$mode.yaml" > /dev/null
    wait_stopped "$work/$mode"
    echo "$mode: $(echo "$(date +%s.%N) - $start" | bc) s from sbatch to stopped" >&2
done
echo "GPU busy fraction, 4 GPUs, $trials trials, budgets 1..27 (eta 3), $spe-$(echo "$spe * 8" | bc) s per epoch:"
/usr/bin/python3 bench/workers/busy.py "$work/rounds" "$work/workers" --target 0.3

# The lock: one take (ingest, choose, plan) with 10,000 trials in the history.
/usr/bin/python3 bench/ingest/make_experiment.py "$work/lock" --trials 10000 --points 100 --workers
"$hpo" rebuild "$work/lock" > /dev/null
sed -i 's/max_trials: 100000/max_trials: 10040/' "$work/lock/spec.yaml"
echo "lock hold per proposal, 10,000 trials (x 100 points) in the history, 1 worker, 40 proposals:"
"$hpo" worker "$work/lock" --slots 1 2>&1 | grep 'lock held' | sed 's/^hpo worker: [^;]*; /  /'
