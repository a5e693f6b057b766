# Shared by the Slurm integration tests (sourced after common.bash): start a
# real single-node Slurm (slurm/testcluster/start.sh) in $TMP/slurm on ports
# of this test's own, and stop it when the test ends.  A test that needs
# Slurm and cannot start it fails; it is never skipped.
start_cluster() {
    local started=0
    for _ in 1 2 3 4 5; do   # ports of our own; another test may hold some
        if SLURM_TEST_PORT_BASE=$((20000 + RANDOM % 400 * 10)) slurm/testcluster/start.sh "$TMP/slurm" \
            > "$TMP/slurm-start.log" 2>&1; then started=1; break; fi
        grep -q "in use" "$TMP/slurm-start.log" || break
    done
    [ "$started" = 1 ] || { cat "$TMP/slurm-start.log" >&2; fail "the local Slurm test cluster did not start"; }
    source "$TMP/slurm/env"
    trap 'slurm/testcluster/stop.sh "$TMP/slurm" >/dev/null 2>&1; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
}

# A copy of examples/quadratic with a slurm section; $1 = directory.
make_quadratic_sweep() {
    mkdir -p "$1"
    cp examples/quadratic/quadratic "$1/"
    cat > "$1/trial.sh" <<'SH'
#!/bin/sh
# records what Slurm gave the task, then runs the objective
echo "${CUDA_VISIBLE_DEVICES:-unset} ${SLURM_ARRAY_TASK_ID:-unset} ${SLURM_ARRAY_JOB_ID:-unset}" > "$HPO_TRIAL_DIR/slurm_env"
exec ./quadratic "$@"
SH
    chmod +x "$1/trial.sh"
    cat > "$1/spec.yaml" <<'YAML'
name: quadslurm
command: [./trial.sh, --x, "{x}", --lr, "{lr}", --n, "{n}", --kind, "{kind}"]
space:
  x:    {type: float, low: -5, high: 5}
  lr:   {type: float, low: 1.0e-4, high: 1.0, log: true}
  n:    {type: int, low: 1, high: 20}
  kind: {type: choice, values: [a, b, c]}
objective: {metric: loss, mode: min}
algorithm: random
budget:    {max_trials: 12}
parallel:  {round_size: 4, max_concurrent: 4}
slurm:     {gres: "gpu:1", time: "00:05:00", cpus_per_task: 1, mem: 100M}
seed: 7
YAML
}

# Wait (up to $2 s) until `hpo status $1` says the sweep stopped.
wait_stopped() {
    for _ in $(seq 1 $(( $2 * 4 ))); do
        "$HPO" status "$1" 2>/dev/null | grep -q '^stopped:' && return 0
        sleep 0.25
    done
    squeue >&2 || true
    cat "$1"/driver-*.log >&2 2>/dev/null || true
    fail "the sweep in $1 did not stop within $2 s"
}

# Every trial of EXP completed exactly once: its journal has the 5 reports
# of one run of quadratic, and /trials says completed with a Slurm job id.
assert_each_trial_once() {
    for j in "$1"/trials/t*/journal; do
        assert_eq "$(grep -c ' r [0-9]' "$j")" 5 "reports in $j"
    done
    $PY - "$1/results.h5" <<'PY'
import sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
assert (t["status"] == b"completed").all(), t["status"]
assert (t["slurm_job_id"] > 0).all(), t["slurm_job_id"]
PY
}
