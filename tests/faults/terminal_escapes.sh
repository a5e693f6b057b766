# Text from a trial (the last line of its stderr, which becomes the failure
# reason) reaches the terminal and CSV with its control characters escaped:
# an OSC title-set, colours, a bell or a C1 CSI print as \xNN.
source tests/integration/common.bash
cat > "$TMP/evil.sh" <<'SH'
#!/bin/bash
printf 'boom \033]0;PWNED\007 \033[31mred\033[0m \302\233x\n' >&2
exit 3
SH
chmod +x "$TMP/evil.sh"
printf 'name: evil\ncommand: [./evil.sh, "{x}"]\nspace:\n  x: {type: float, low: 0, high: 1}\nobjective: {metric: loss}\nbudget: {max_trials: 2, max_failed: 5}\n' > "$TMP/spec.yaml"
(cd "$TMP" && "$HPO" run spec.yaml --exp "$TMP/exp" --quiet > "$TMP/out" 2>&1) || fail "hpo run: $(cat "$TMP/out")"
"$HPO" status "$TMP/exp" > "$TMP/status" || fail "hpo status failed"
"$HPO" export "$TMP/exp" --csv > "$TMP/csv" || fail "hpo export failed"
for f in status csv; do
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/$f"; then fail "$f: raw control characters: $(od -c "$TMP/$f" | head)"; fi
    if LC_ALL=C grep -q $'\xc2[\x80-\x9f]' "$TMP/$f"; then fail "$f: a raw C1 control"; fi
    assert_contains "$(cat "$TMP/$f")" 'boom \x1b]0;PWNED\x07 \x1b[31mred\x1b[0m \xc2\x9bx' "$f: the reason, escaped"
done
echo "ok: control characters from a trial escaped in hpo status and --csv"
