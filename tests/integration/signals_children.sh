# The trial runner forwards SIGUSR2 (the time-limit warning on Slurm) to the
# trial, so it can checkpoint and report; and whatever the trial leaves
# running in the background is killed when it exits.
source tests/integration/common.bash
cat > "$TMP/trial.sh" <<'SH'
#!/bin/bash
marker="$1"
sleep 300 & # a child left behind: must not outlive the trial
echo "$!" > "$HPO_TRIAL_DIR/child.pid"
trap 'echo "got_usr2=1"; echo "loss=0.5"; exit 0' USR2
touch "$HPO_TRIAL_DIR/ready"
for i in $(seq 1 100); do sleep 0.1; done
echo "loss=9"
SH
chmod +x "$TMP/trial.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: signals
command: [./trial.sh, marker]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 1}
parallel: {round_size: 1, max_concurrent: 1}
YAML
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet > "$TMP/out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -f "$TMP/exp/trials/t000000/ready" ] && break; sleep 0.05; done
[ -f "$TMP/exp/trials/t000000/ready" ] || fail "the trial did not start"
runner=$(pgrep -f "hpo trial $TMP/exp 0 0" | head -1)
[ -n "$runner" ] || fail "no trial runner process"
kill -USR2 "$runner"
wait "$pid" || fail "sweep failed: $(cat "$TMP/out")"
curves=$("$HPO" export "$TMP/exp" --csv --curves)
assert_contains "$curves" ",got_usr2,1," "the trial saw SIGUSR2"
assert_eq "$("$HPO" best "$TMP/exp" -n 1 | awk 'NR==2 {print $3}')" "0.5" "objective after the signal"
child=$(cat "$TMP/exp/trials/t000000/child.pid")
# Dead, or a zombie (killed, orphaned to init, not yet reaped: init here may
# be slow to reap); give a loaded machine 2 s.
state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo gone; }
for _ in $(seq 1 20); do case $(state "$child") in gone|Z) break ;; esac; sleep 0.1; done
case $(state "$child") in
    gone|Z) ;;
    *) kill "$child"; fail "the trial's background child outlived it" ;;
esac
echo ok
