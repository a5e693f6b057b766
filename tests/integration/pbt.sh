# Population based training end to end with `hpo run` (local executor), on
# a synthetic learning curve: each epoch multiplies the loss by 1 - q(config),
# q peaking at rate = 0.3 and opt = b.  The trial resumes from
# HPO_RESUME_FROM/state.json (epoch and loss) and checkpoints every epoch.
# Checks, with h5py, that
#  (a) each round is one generation: 6 members (bracket = member), rung =
#      round, budgets 2, 4, 6, 8, and then the search has nothing more to
#      propose;
#  (b) every trial with a parent resumes that parent's checkpoint: its first
#      step is the parent's last + 1 and its first loss is the parent's last
#      loss times its own 1 - q -- for an exploited member that is the
#      checkpoint of the top member it copied, not its own;
#  (c) continuing members keep their config; exploited ones (2 of 6 per
#      generation) carry the parent's config perturbed (rate x0.8 or x1.2,
#      opt a neighbouring choice), and the lineage reads back per member;
#  (d) keep_checkpoints: best kept exactly the checkpoints that were resumed;
#  (e) the final best is better than the best of generation 0.
source tests/integration/common.bash

cat > "$TMP/train.py" <<'PY'
import json, math, os, sys
epochs, rate, opt = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
q = 0.3 * math.exp(-math.log(rate / 0.3) ** 2) * {"a": 0.5, "b": 1.0, "c": 0.75}[opt]
epoch, loss = 0, 1.0
resume = os.environ.get("HPO_RESUME_FROM")
if resume and os.path.exists(os.path.join(resume, "state.json")):
    with open(os.path.join(resume, "state.json")) as f:
        state = json.load(f)
    epoch, loss = state["epoch"], state["loss"]
ckpt = os.environ["HPO_CHECKPOINT_DIR"]
while epoch < epochs:
    epoch += 1
    loss *= 1 - q
    with open(os.path.join(ckpt, "state.tmp"), "w") as f:
        json.dump({"epoch": epoch, "loss": loss}, f)
    os.replace(os.path.join(ckpt, "state.tmp"), os.path.join(ckpt, "state.json"))
    print("step=%d loss=%r" % (epoch, loss), flush=True)
PY
cat > "$TMP/spec.yaml" <<'YAML'
name: pbt
command: [/usr/bin/python3, train.py, "{epochs}", "{rate}", "{opt}"]
space:
  rate: {type: float, low: 0.01, high: 1, log: true}
  opt:  {type: choice, values: [a, b, c]}
objective: {metric: loss}
fidelity: {param: epochs, min: 1, max: 8}
algorithm: {name: pbt, population_size: 6, perturbation_interval: 2}
parallel: {max_concurrent: 6}
seed: 3
YAML
out=$("$HPO" run "$TMP/spec.yaml" --exp "$TMP/exp" --quiet)
assert_contains "$out" "the pbt search has nothing more to propose" "the sweep ended after its generations"

$PY - "$TMP/exp" <<'PY'
import math, os, sys
import h5py, numpy as np

exp = sys.argv[1]
f = h5py.File(os.path.join(exp, "results.h5"), "r")
t, c = f["trials"][:], f["curves"][:]
rate = f["config/rate"][:]
opt_col = f["config/opt"]
opt = [opt_col.attrs["choices"][i].decode() for i in opt_col[:]]

def q(i):
    return 0.3 * math.exp(-math.log(rate[i] / 0.3) ** 2) * {"a": 0.5, "b": 1.0, "c": 0.75}[opt[i]]

def curve(i):
    mine = c[(c["trial_id"] == i) & (c["metric"] == b"loss")]
    return [int(s) for s in mine["step"]], list(mine["value"])

# (a) generations
assert len(t) == 24 and (t["status"] == b"completed").all(), t["status"]
for g in range(4):
    gen = t[t["round"] == g]
    assert sorted(gen["bracket"]) == list(range(6)), gen["bracket"]
    assert (gen["rung"] == g).all() and (gen["budget"] == 2 * (g + 1)).all(), gen
    assert ((gen["parent_id"] == -1) == (g == 0)).all(), gen["parent_id"]

# (b) resumes, (c) configs
exploited = 0
for i in range(len(t)):
    steps, losses = curve(i)
    assert steps[-1] == t["budget"][i], (i, steps)
    p = int(t["parent_id"][i])
    if p < 0:
        assert steps[0] == 1 and abs(losses[0] - (1 - q(i))) < 1e-12, (i, steps, losses)
        continue
    psteps, plosses = curve(p)
    assert steps[0] == psteps[-1] + 1, ("does not continue its parent's curve", i, steps, p, psteps)
    assert abs(losses[0] - plosses[-1] * (1 - q(i))) < 1e-12, ("not resumed from its parent's state", i, p)
    journal = open(os.path.join(exp, "trials/t%06d/journal" % i)).read()
    assert "resume from=t%06d/checkpoint" % p in journal, (i, p)
    if t["bracket"][p] == t["bracket"][i]:
        assert rate[i] == rate[p] and opt[i] == opt[p], (i, p)
        continue
    exploited += 1
    lo, hi = 0.01, 1.0
    assert rate[i] in (min(max(rate[p] * 0.8, lo), hi), min(max(rate[p] * 1.2, lo), hi)), (i, rate[i], p, rate[p])
    assert abs("abc".index(opt[i]) - "abc".index(opt[p])) == 1, (i, opt[i], p, opt[p])
    # the copied member was among the best 2 of its generation
    gen = t[t["round"] == t["round"][p]]
    assert sorted(gen["objective"]).index(t["objective"][p]) < 2, (i, p)
assert exploited == 6, exploited          # 2 of 6 in each of generations 1..3
for m in range(6):
    rows = sorted((r for r in t if r["bracket"] == m), key=lambda r: r["rung"])
    assert [int(r["rung"]) for r in rows] == [0, 1, 2, 3], (m, rows)

# (d) keep_checkpoints: best -- of generations 0..2, the checkpoints resumed remain
parents = set(int(p) for p in t["parent_id"] if p >= 0)
for i in range(len(t)):
    if t["round"][i] == 3:
        continue
    kept = os.listdir(os.path.join(exp, "trials/t%06d/checkpoint" % i)) != []
    assert kept == (i in parents), (i, kept)

# (e) the search improved on its first generation
gen0 = t["objective"][t["round"] == 0].min()
best = t["objective"][t["round"] == 3].min()
assert best < gen0, (best, gen0)
print("ok: 4 generations of 6, %d exploited members resumed the copied checkpoint; best %.4g < generation 0's %.4g"
      % (exploited, best, gen0))
PY
# `hpo best` ranks the last generation (the highest budget) first.
assert_eq "$("$HPO" best "$TMP/exp" -n 1 | awk 'NR==2 {print $2}')" \
    "$($PY -c "import h5py; t=h5py.File('$TMP/exp/results.h5')['trials'][:]; print(int(sorted(t, key=lambda r: (-r['budget'], r['objective']))[0]['trial_id']))")" \
    "hpo best"
$PY tests/integration/check_results.py "$TMP/exp"
echo ok
