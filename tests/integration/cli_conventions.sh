# Conventions: `hpo --help`, `hpo --version` and `hpo CMD --help` for every
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
LC_ALL=C.UTF-8 man -l docs/hpo.1 2>/dev/null | grep -q "hyperparameter search for Slurm" || fail "man page does not render"
complete_line() {   # the words of a command line -> completions
    bash -c 'source docs/hpo.bash-completion; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hpo; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}
assert_contains "$(complete_line hpo st)" "status" "completes subcommands"
assert_contains "$(complete_line hpo run --al)" "--allow-spec-change" "completes options"
make -s install PREFIX="$TMP/prefix" > /dev/null
[ -f "$TMP/prefix/share/man/man1/hpo.1" ] && [ -f "$TMP/prefix/share/bash-completion/completions/hpo" ] \
    || fail "make install: man page or completion missing"
echo ok
