# Conventions: `hpo --help`, `hpo --version`, `--json` for status and best, and `hpo CMD --help` for every
# subcommand answer on stdout and exit 0; the man page renders without a
# warning; bash completion completes subcommands and their options;
# `make install` puts both where man and bash look.
source tests/integration/common.bash
"$HPO" --help > "$TMP/help" || fail "hpo --help"
cmds=$(sed -n 's/^  hpo \([a-z]*\) .*/\1/p' "$TMP/help")
[ "$(echo "$cmds" | wc -w)" -ge 11 ] || fail "hpo --help lists only: $cmds"
for c in $cmds; do
    out=$("$HPO" "$c" --help) || fail "hpo $c --help failed"
    assert_contains "$out" "usage: hpo $c" "hpo $c --help"
done
assert_eq "$("$HPO" --version)" "hpo $(sed -n 's/#define HPO_VERSION "\(.*\)"/\1/p' lib/hpo.h)" "--version"
warnings=$(groff -man -ww -z docs/hpo.1 2>&1)
[ -z "$warnings" ] || fail "man page warnings: $warnings"
LC_ALL=C.UTF-8 man -l docs/hpo.1 2>/dev/null | grep -c "hyperparameter search for Slurm" > /dev/null || fail "man page does not render"
complete_line() {   # the words of a command line -> completions
    bash -c 'source docs/hpo.bash-completion; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hpo; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
assert_contains "$(complete_line hpo st)" "status" "completes subcommands"
assert_contains "$(complete_line hpo run --al)" "--allow-spec-change" "completes options"
make -s install PREFIX="$TMP/prefix" > /dev/null
[ -f "$TMP/prefix/share/man/man1/hpo.1" ] && [ -f "$TMP/prefix/share/bash-completion/completions/hpo" ] \
    || fail "make install: man page or completion missing"
echo ok

# --json for scripts: status and best agree with the tables and parse as JSON.
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 8/' examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet > /dev/null
"$HPO" status "$TMP/exp" --json > "$TMP/status.json"
"$HPO" best "$TMP/exp" -n 3 --json > "$TMP/best.json"
$PY - "$TMP/status.json" "$TMP/best.json" "$("$HPO" best "$TMP/exp" -n 1 | awk 'NR==2 {print $2}')" <<'PY'
import json, sys
status, best, top = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
assert status["trials"]["completed"] == 8 and status["trials"]["planned"] == 8, status
assert status["stopped"].startswith("budget.max_trials reached"), status["stopped"]
assert status["driver_failure"] is None, status["driver_failure"]
assert status["best"]["trial"] == top == best[0]["trial"], (status["best"], top, best[0])
assert len(best) == 3 and [b["rank"] for b in best] == [1, 2, 3]
assert set(best[0]["params"]) == {"x", "lr", "n", "kind"} and best[0]["params"]["kind"] in "abc"
print("ok: --json")
PY
