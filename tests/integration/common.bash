# Shared helpers of the integration tests (sourced).  Each test runs from
# the repository root with $HPO pointing at the hpo binary under test.
set -euo pipefail
HPO=${HPO:-$PWD/bin/hpo}
PY=/usr/bin/python3          # Debian's python3, which has h5py
TMP=$(mktemp -d /tmp/hpo-it.XXXXXX)
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
assert_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: expected to find '$2' in: $1"; }

# examples/quadratic's sweep in $TMP (spec.yaml, trial.sh, quadratic), each
# trial 0.2 s longer so that kills land mid-trial: 12 trials, with
# `parallel:` set to $1 (e.g. "round_size: 4, max_concurrent: 2").
make_slow_quadratic() {
    cp examples/quadratic/quadratic "$TMP/"
    printf '#!/bin/sh\nsleep 0.2\nexec ./quadratic "$@"\n' > "$TMP/trial.sh"
    chmod +x "$TMP/trial.sh"
    sed -e 's|\./quadratic|./trial.sh|' -e 's/max_trials: 40, max_failed: 5/max_trials: 12/' \
        -e "s/round_size: 8, max_concurrent: 4/$1/" examples/quadratic/spec.yaml > "$TMP/spec.yaml"
}

# $TMP/wait.sh: a trial that records its pid, says it is ready
# (HPO_TRIAL_DIR/ready) and waits until EXP/go exists, then reports
# loss=$1 -- trials held running for as long as a test needs them.
make_wait_trial() {
    cat > "$TMP/wait.sh" <<'SH'
#!/bin/sh
echo $$ > "$HPO_TRIAL_DIR/pid"
touch "$HPO_TRIAL_DIR/ready"
while [ ! -e "$HPO_TRIAL_DIR/../../go" ]; do sleep 0.05; done
echo "loss=$1"
SH
    chmod +x "$TMP/wait.sh"
}

# $TMP/spec.yaml: one trial of command $1 (a YAML flow list) over x in
# [0, 1], reporting loss.
one_trial_spec() {
    cat > "$TMP/spec.yaml" <<YAML
name: burst
command: $1
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 1}
YAML
}
