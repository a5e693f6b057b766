# Parameter values never pass through a shell: choice values full of shell
# metacharacters reach the trial program byte for byte, as one argument, in
# argv and in HPO_PARAM_<name>, and nothing they say is executed.
source tests/integration/common.bash
cat > "$TMP/dump.sh" <<'SH'
#!/bin/sh
printf '%s\n' "$@" > "$HPO_TRIAL_DIR/argv"
printf '%s\n' "$HPO_PARAM_v" > "$HPO_TRIAL_DIR/env_v"
echo ok=1
SH
chmod +x "$TMP/dump.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: inject
command: [./dump.sh, "{v}", "pre-{v}-post", "{{v}}"]
space:
  v:
    type: choice
    values: ['$(touch pwned1)', 'a b', '; touch pwned2', '`touch pwned3`', "'quoted'", '"dq"',
             '*', 'back\slash', '$HOME', '| touch pwned4', 'x > pwned5', "tab	in", 'new\nline', '&& touch pwned6']
objective: {metric: ok, mode: max}
algorithm: {name: grid}
budget: {max_trials: 14}
YAML
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet > "$TMP/out"
assert_contains "$(cat "$TMP/out")" "stopped: budget.max_trials reached (14 trials)" "sweep ran"
$PY - "$TMP" <<'PY'
import glob, os, sys
tmp = sys.argv[1]
values = ['$(touch pwned1)', 'a b', '; touch pwned2', '`touch pwned3`', "'quoted'", '"dq"',
          '*', 'back\\slash', '$HOME', '| touch pwned4', 'x > pwned5', "tab\tin", 'new\\nline', '&& touch pwned6']
seen = set()
for plan in sorted(glob.glob(os.path.join(tmp, "exp/rounds/r*.plan"))):
    for line in open(plan).read().splitlines()[4:]:
        f = line.split()
        tid, v = int(f[1]), values[int(float(f[7]))]
        d = os.path.join(tmp, "exp/trials/t%06d" % tid)
        argv = open(os.path.join(d, "argv"), "rb").read()
        want = (v + "\n" + "pre-" + v + "-post\n" + "{v}\n").encode()
        assert argv == want, (tid, argv, want)
        assert open(os.path.join(d, "env_v"), "rb").read() == (v + "\n").encode(), tid
        seen.add(v)
assert seen == set(values), set(values) - seen
print("ok: %d values reached the trial byte for byte" % len(seen))
PY
found=$(find "$TMP" -name 'pwned*')
[ -z "$found" ] || fail "a shell ran a parameter value: $found"
echo ok
