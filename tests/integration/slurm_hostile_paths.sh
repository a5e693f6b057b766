# Experiment directories (and an hpo binary) whose paths are full of shell
# syntax -- $(...), backquotes, both kinds of quote, ';', a space, a newline
# -- go through the generated round and driver scripts as plain words: on a
# real Slurm, the sweep runs to its end, each trial once, and nothing the
# paths say is executed.  The scripts pass `bash -n`.
source tests/integration/common.bash
source tests/integration/slurm.bash
start_cluster
make_quadratic_sweep "$TMP/w"
sed -i 's/max_trials: 12/max_trials: 4/' "$TMP/w/spec.yaml"
# hpo itself from a hostile directory: the scripts exec that copy
hb="$TMP/b'in \$(touch $TMP/pwned-bin)\`touch $TMP/pwned-bin2\`"
mkdir -p "$hb"
cp "$HPO" "$hb/hpo"
export HPO_TEMPLATE_DIR=${HPO_TEMPLATE_DIR:-$PWD/templates}
names=('y$(touch pwned)z' 'a"b' "it's" 'back`touch pwned`tick' 'sp ace;touch pwned&' $'nl\ntouch pwned')
n=0
for name in "${names[@]}"; do
    exp="$TMP/x/$name"
    mkdir -p "$TMP/x"
    (cd "$TMP/w" && "$hb/hpo" drive "$exp" --spec "$TMP/w/spec.yaml" > "$TMP/drive.out" 2>&1) \
        || fail "hpo drive failed for '$name': $(cat "$TMP/drive.out")"
    for s in "$exp"/rounds/*.sbatch "$exp/driver.sbatch"; do
        [ -f "$s" ] || fail "'$name': no script $s"
        bash -n "$s" || fail "'$name': $s is not valid bash"
    done
    HPO="$hb/hpo" wait_stopped "$exp" 120
    assert_each_trial_once "$exp"
    n=$((n + 1))
done
found=$( (find "$TMP" -type f -name 'pwned*'; find / -maxdepth 1 -type f -name 'pwned*') 2>/dev/null | head -5)
[ -z "$found" ] || fail "a path was executed: $found"
[ ! -e "$PWD/pwned" ] && [ ! -e "$TMP/w/pwned" ] || fail "a path was executed (pwned in the working directory)"
echo "ok: $n hostile experiment paths swept on Slurm by an hpo at a hostile path; nothing executed"
