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
