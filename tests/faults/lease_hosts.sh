# Leases: where flock() excludes only one host's processes (Lustre with
# localflock, some NFS), a lock's lease (LOCK.lease) keeps a holder on
# another host out.  "Another host" is this one under another name
# (HPO_HOSTNAME), so here the flock is free once its holder is killed,
# exactly as it would look from a second host.
#  (a) a live lease of another host blocks a second taker: hpo run leaves,
#      saying who holds it; a trial runner waits for it;
#  (b) a lease whose holder vanished (SIGKILL) is taken over once it has
#      expired, and the trials it held resume, each completed once;
#  (c) the heartbeat renews: a living holder's lease never expires.
source tests/integration/common.bash
make_wait_trial
printf 'name: lease\ncommand: [./wait.sh, "{x}"]\nspace:\n  x: {type: float, low: 0, high: 1}\nobjective: {metric: loss}\nalgorithm: random\nbudget: {max_trials: 4}\nparallel: {round_size: 4, max_concurrent: 2}\n' > "$TMP/spec.yaml"
pids=""
trap 'kill -9 $pids 2>/dev/null || :; touch "$TMP"/*/go 2>/dev/null || :; sleep 0.3; rm -rf "$TMP"' EXIT

lease_field() { sed -n "s/^$2=//p" "$1"; }
# Set a lease's expiry to $2 seconds from now (negative: in the past).
set_expiry() { sed -i "s/^expires=.*/expires=$(( $(date +%s) + $2 ))/" "$1"; }
# Start a sweep as host ghost and wait until trials 0 and 1 run.
start_ghost() {   # exp, lease seconds
    (cd "$TMP" && HPO_HOSTNAME=ghost HPO_LEASE_S=$2 exec "$HPO" run spec.yaml --exp "$1" --quiet > "$1.ghost" 2>&1) &
    ghost=$!
    pids="$pids $ghost"
    for _ in $(seq 1 600); do
        [ -e "$1/trials/t000000/ready" ] && [ -e "$1/trials/t000001/ready" ] && return 0
        sleep 0.05
    done
    fail "ghost's trials 0 and 1 did not start: $(cat "$1.ghost")"
}
# ... and until results.h5 (published within about a second) has the round.
wait_planned() {
    for _ in $(seq 1 600); do "$HPO" status "$1" 2>/dev/null | grep -q "4 of 4 planned" && return 0; sleep 0.05; done
    fail "the round never reached results.h5"
}
# The ghost host vanishes: its hpo run, runners and trials, all SIGKILLed.
kill_ghost() {
    local runners trials
    runners=$(pgrep -f "hpo trial $1 " | tr '\n' ' ')
    trials=$(cat "$1"/trials/t*/pid | tr '\n' ' ')
    kill -9 $ghost $runners $trials
    wait "$ghost" 2>/dev/null || :   # killed: its status is not the point
}
assert_each_once() {
    $PY - "$1" <<'PY' || fail "$1: trials lost or run twice"
import os, sys, h5py
exp = sys.argv[1]
t = h5py.File(os.path.join(exp, "results.h5"), "r")["trials"][:]
assert len(t) == 4 and (t["status"] == b"completed").all(), t["status"]
for i in range(4):
    j = open(os.path.join(exp, "trials", "t%06d" % i, "journal")).read()
    assert j.count("e end status=completed") == 1, (i, j)
PY
    $PY tests/integration/check_results.py "$1" > /dev/null || fail "$1: results.h5 does not match the journals"
}

# ---- (a) and (b), with the leases' expiry set by hand ---------------------
exp=$TMP/exp
start_ghost "$exp" 3600
wait_planned "$exp"
kill_ghost "$exp"
for f in "$exp/lock.lease" "$exp"/trials/t00000[01]/lock.lease; do
    [ -f "$f" ] || fail "$f: the vanished holder left no lease"
    assert_eq "$(lease_field "$f" host)" ghost "host in $f"
done
# Its trials count as running (on the other host), though no flock is held here.
assert_contains "$("$HPO" status "$exp")" "2 running" "status with the other host's live leases"
# (a) hpo run leaves, naming the holder; nothing is written.
rc=0; (cd "$TMP" && "$HPO" run spec.yaml --exp "$exp" --quiet) > "$TMP/out" 2>&1 || rc=$?
assert_eq "$rc" 1 "hpo run against a live lease of another host"
assert_contains "$(cat "$TMP/out")" "in use by host ghost pid $ghost (its lease expires in" "hpo run's message"
assert_eq "$(wc -l < "$TMP/out")" 1 "one line"
assert_eq "$(lease_field "$exp/lock.lease" host)" ghost "the lease after the refused taker"
# (b) The experiment's lease expires; trial 0's stays live a while longer.
set_expiry "$exp/lock.lease" -3600
set_expiry "$exp/trials/t000001/lock.lease" -3600
touch "$exp/go"
(cd "$TMP" && exec "$HPO" run spec.yaml --exp "$exp" --quiet > "$TMP/out" 2>&1) &
run=$!
pids="$pids $run"
# Trials 1-3 end; trial 0's runner waits for the live lease meanwhile.
for _ in $(seq 1 1200); do
    [ "$(ls "$exp"/trials/t00000[123]/result 2>/dev/null | wc -l)" = 3 ] && break
    sleep 0.05
done
[ "$(ls "$exp"/trials/t00000[123]/result 2>/dev/null | wc -l)" = 3 ] || fail "trials 1-3 did not end: $(cat "$TMP/out")"
assert_eq "$(grep -c ' start host=' "$exp/trials/t000000/journal")" 1 "starts of trial 0 while ghost's lease lives"
[ ! -e "$exp/trials/t000000/result" ] || fail "trial 0 ran under another host's live lease"
assert_eq "$(lease_field "$exp/trials/t000000/lock.lease" host)" ghost "trial 0's lease while it waits"
set_expiry "$exp/trials/t000000/lock.lease" -3600   # now its holder is gone for good
wait "$run" || fail "the resumed run failed: $(cat "$TMP/out")"
assert_contains "$(cat "$TMP/out")" "lock.lease: took over the expired lease of host ghost pid $ghost" "takeover notice"
assert_contains "$(cat "$TMP/out")" "t000000/lock.lease: took over the expired lease of host ghost" "trial 0's takeover"
assert_each_once "$exp"
for f in "$exp/lock.lease" "$exp"/trials/t*/lock.lease; do
    [ ! -e "$f" ] || fail "$f: left behind by a holder that released it"
done

# ---- (c) and (b) again, with a short lease that really runs out -----------
exp=$TMP/exp2
start_ghost "$exp" 3
first=$(lease_field "$exp/lock.lease" expires)
token=$(lease_field "$exp/trials/t000000/lock.lease" token)
# Wait until the first lease would have expired, grace (1.5 s) included...
while [ "$(date +%s)" -le $(( ${first%.*} + 3 )) ]; do sleep 0.2; done
# ...the holders live, so their leases were renewed: still theirs, still live.
for f in "$exp/lock.lease" "$exp/trials/t000000/lock.lease"; do
    $PY -c 'import sys, time; e = float(sys.argv[1]); assert e > time.time(), (e, time.time())' \
        "$(lease_field "$f" expires)" || fail "$f: expired while its holder lives"
done
assert_eq "$(lease_field "$exp/trials/t000000/lock.lease" token)" "$token" "trial 0's lease holder"
kill_ghost "$exp"
# Nobody renews them now: once expired, this host takes over and resumes.
touch "$exp/go"
for _ in $(seq 1 200); do
    rc=0; (cd "$TMP" && HPO_LEASE_S=3 "$HPO" run spec.yaml --exp "$exp" --quiet) > "$TMP/out" 2>&1 || rc=$?
    [ "$rc" = 0 ] && break
    assert_contains "$(cat "$TMP/out")" "in use by host ghost" "a taker while the lease lives"
    sleep 0.1
done
assert_eq "$rc" 0 "hpo run once the vanished holder's lease expired"
assert_contains "$(cat "$TMP/out")" "took over the expired lease of host ghost" "takeover notice"
assert_each_once "$exp"
echo "ok: live leases of another host block, expired ones are taken over, heartbeats renew"
