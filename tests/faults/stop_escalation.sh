# Stopping trials.  (1) Ctrl-C on `hpo run` with a trial that ignores
# SIGINT and SIGTERM: after HPO_STOP_GRACE_S the trial's process group gets
# SIGKILL and hpo run ends, the trial recorded cancelled.  (2) A trial that
# had already exited 0 when the stop came keeps its real result.  (3) What
# a trial starts with setsid, or double-forks as a daemon, is ended with it
# (the runner is their subreaper).
source tests/integration/common.bash
cat > "$TMP/stubborn.sh" <<'SH'
#!/bin/bash
trap '' INT TERM
echo $$ > "$HPO_TRIAL_DIR/pid"
touch "$HPO_TRIAL_DIR/ready"
while :; do sleep 0.1; done
SH
cat > "$TMP/quick.sh" <<'SH'
#!/bin/sh
touch "$HPO_TRIAL_DIR/ready"
while [ ! -e "$HPO_TRIAL_DIR/go" ]; do sleep 0.05; done
echo "loss=1.5"
SH
cat > "$TMP/daemons.sh" <<'SH'
#!/bin/bash
setsid sleep 300 < /dev/null > /dev/null 2>&1 &
echo $! > "$HPO_TRIAL_DIR/setsid.pid"
( setsid bash -c 'sleep 300 < /dev/null > /dev/null 2>&1 & echo $! > "$0"' "$HPO_TRIAL_DIR/daemon.pid" & )
while [ ! -s "$HPO_TRIAL_DIR/daemon.pid" ]; do sleep 0.05; done
echo "loss=2"
SH
chmod +x "$TMP"/*.sh
spec() {   # $1: name, $2: program
    printf 'name: %s\ncommand: [./%s, "{x}"]\nspace:\n  x: {type: float, low: 0, high: 1}\nobjective: {metric: loss}\nbudget: {max_trials: 1}\n' \
        "$1" "$2" > "$TMP/$1.yaml"
}
status_of() {   # $1: experiment, $2: trial id -> "status objective"
    $PY - "$1/results.h5" "$2" <<'PY'
import sys, h5py
r = h5py.File(sys.argv[1], "r")["trials"][int(sys.argv[2])]
print(r["status"].decode(), r["objective"])
PY
}
wait_for() { for _ in $(seq 1 600); do [ -e "$1" ] && return 0; sleep 0.05; done; fail "no $1"; }

# (1) Ctrl-C escalates to SIGKILL after the grace period.
spec stubborn stubborn.sh
(cd "$TMP" && HPO_STOP_GRACE_S=1 exec "$HPO" run stubborn.yaml --exp "$TMP/e1" --quiet > "$TMP/out1" 2>&1) &
run=$!
wait_for "$TMP/e1/trials/t000000/ready"
trial=$(cat "$TMP/e1/trials/t000000/pid")
trap 'kill -9 "$run" "$trial" 2>/dev/null || :; rm -rf "$TMP"' EXIT   # clean-up only: they may be gone
kill -INT "$run"
rc=0
timeout 120 tail --pid="$run" -f /dev/null || fail "hpo run did not end after Ctrl-C: the stubborn trial was never killed"
wait "$run" || rc=$?
[ "$rc" != 0 ] || fail "an interrupted hpo run exited 0"
! kill -0 "$trial" 2>/dev/null || fail "the stubborn trial still runs"
assert_eq "$(status_of "$TMP/e1" 0 | cut -d' ' -f1)" cancelled "status of the killed trial"

# (2) Exited before the stop: completed, with its objective.
spec quick quick.sh
(cd "$TMP" && exec "$HPO" run quick.yaml --exp "$TMP/e2" --quiet > "$TMP/out2" 2>&1) &
run=$!
wait_for "$TMP/e2/trials/t000000/ready"
runner=$(pgrep -f "hpo trial $TMP/e2 0 0" | head -1)
[ -n "$runner" ] || fail "no trial runner"
kill -STOP "$runner"                      # it cannot reap the trial now
touch "$TMP/e2/trials/t000000/go"         # the trial finishes its work and exits 0
child=$(pgrep -P "$runner" | head -1)
for _ in $(seq 1 200); do
    [ "$(awk '{print $3}' "/proc/$child/stat" 2>/dev/null)" = Z ] && break
    sleep 0.05
done
[ "$(awk '{print $3}' "/proc/$child/stat")" = Z ] || fail "the trial did not exit"
kill -TERM "$runner"                      # the stop comes after the work was done
kill -CONT "$runner"
wait "$run" || true                       # hpo run itself was not stopped: its status is not the point
assert_eq "$(status_of "$TMP/e2" 0)" "completed 1.5" "a trial done before the stop"

# (3) setsid'd and double-forked descendants end with the trial.
spec daemons daemons.sh
(cd "$TMP" && "$HPO" run daemons.yaml --exp "$TMP/e3" --quiet > "$TMP/out3" 2>&1) || fail "daemons sweep: $(cat "$TMP/out3")"
for f in setsid daemon; do
    pid=$(cat "$TMP/e3/trials/t000000/$f.pid")
    [ -n "$pid" ] || fail "no $f pid"
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        fail "the $f descendant (pid $pid) outlived its trial"
    fi
done
assert_eq "$(status_of "$TMP/e3" 0)" "completed 2.0" "the daemons trial"
echo "ok: Ctrl-C escalated to SIGKILL; a trial done before the stop kept its result; setsid and daemon descendants ended"
