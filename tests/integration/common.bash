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
