# A PaddleHub `space: hparam.yaml` is frozen into the experiment with the
# spec (EXP/space.yaml): editing the file afterwards does not change the
# space of the sweep.  Resuming with the edited file is refused in one line
# naming it; hpo status reads the frozen space; with the file restored the
# same command is accepted again.
source tests/integration/common.bash
cat > "$TMP/obj.sh" <<'SH'
#!/bin/sh
echo "loss=$1"
SH
chmod +x "$TMP/obj.sh"
cat > "$TMP/hparam.yaml" <<'YAML'
param_list:
- name : lr
  init_value : 0.5
  type : float
  lower_than : 1.0
  greater_than : 0.0
YAML
cat > "$TMP/spec.yaml" <<'YAML'
name: paddle
command: [./obj.sh, "{lr}"]
space: hparam.yaml
objective: {metric: loss}
budget: {max_trials: 8}
parallel: {round_size: 4}
YAML
exp=$TMP/exp
(cd "$TMP" && "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) || fail "first run: $(cat "$TMP/out")"
cmp "$TMP/hparam.yaml" "$exp/space.yaml" || fail "the space file was not frozen"
cp "$TMP/hparam.yaml" "$TMP/hparam.orig"
sed -i -e 's/lower_than : 1.0/lower_than : 2000.0/' -e 's/greater_than : 0.0/greater_than : 1000.0/' \
    -e 's/init_value : 0.5/init_value : 1500/' "$TMP/hparam.yaml"
if (cd "$TMP" && "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2> "$TMP/err"); then
    fail "a sweep resumed with an edited space file"
fi
assert_contains "$(cat "$TMP/err")" "hparam.yaml: differs from the space this experiment was started with" "refusal"
assert_eq "$(wc -l < "$TMP/err")" 1 "one line"
# hpo status and friends read the frozen space whatever the file says now.
"$HPO" status "$exp" > /dev/null || fail "hpo status with an edited space file"
cp "$TMP/hparam.orig" "$TMP/hparam.yaml"
(cd "$TMP" && "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) || fail "no resume with the file restored: $(cat "$TMP/out")"
assert_contains "$(cat "$TMP/out")" "budget.max_trials reached (8 trials)" "resumed"
$PY - "$exp/results.h5" <<'PY' || fail "a config left the frozen range"
import sys, h5py
lr = h5py.File(sys.argv[1], "r")["config/lr"][:]
assert len(lr) == 8 and ((lr >= 0) & (lr <= 1)).all(), lr
PY
echo "ok: the space file is frozen with the spec; an edited one is refused"
