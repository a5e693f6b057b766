# Every table of results.h5 carries a checksum per chunk (fletcher32): a
# byte flipped anywhere inside a chunk of /trials, /curves, /rounds or a
# /config column is a read error, never a silently different value; and
# hpo, reading a published file whose /trials chunk was flipped, says it is
# damaged and publishes it again, whole.
source tests/integration/common.bash
sed -e 's/max_trials: 40, max_failed: 5/max_trials: 8/' examples/quadratic/spec.yaml > "$TMP/spec.yaml"
cp examples/quadratic/quadratic "$TMP/"
exp=$TMP/exp
(cd "$TMP" && "$HPO" run spec.yaml --exp "$exp" --quiet > /dev/null)
$PY tests/integration/check_results.py "$exp" --digest > "$TMP/good"
$PY - "$exp/results.h5" "$TMP/flip.h5" <<'PY' || fail "a flipped byte went unnoticed"
import shutil, sys, h5py
src, tmp = sys.argv[1:]
with h5py.File(src, "r") as f:
    chunks = {n: f[n].id.get_chunk_info(0) for n in ("trials", "curves", "rounds", "config/x", "config/kind")}
    good = {n: f[n][:] for n in chunks}
    assert all(f[n].fletcher32 for n in chunks), "no fletcher32 filter"
tried = errors = 0
for name, ci in chunks.items():
    for k in range(0, ci.size, max(1, ci.size // 30)):
        shutil.copy(src, tmp)
        with open(tmp, "r+b") as g:
            g.seek(ci.byte_offset + k)
            b = g.read(1)
            g.seek(ci.byte_offset + k)
            g.write(bytes([b[0] ^ 0x10]))
        tried += 1
        try:
            with h5py.File(tmp, "r") as g:
                got = g[name][:]
        except OSError:
            errors += 1
            continue
        assert (got == good[name]).all(), "%s: a flip at byte %d of its chunk changed values silently" % (name, k)
assert errors > tried // 2, (errors, tried)
print("ok: %d flips, %d detected, the rest without effect" % (tried, errors))
PY
# hpo notices a damaged /trials chunk in what it reads and publishes again.
$PY - "$exp/results.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    ci = f["trials"].id.get_chunk_info(0)
with open(sys.argv[1], "r+b") as g:
    g.seek(ci.byte_offset + ci.size // 2)
    b = g.read(1)
    g.seek(ci.byte_offset + ci.size // 2)
    g.write(bytes([b[0] ^ 0x10]))
PY
"$HPO" status "$exp" > "$TMP/out" 2> "$TMP/err" || fail "hpo status: $(cat "$TMP/err")"
assert_contains "$(cat "$TMP/err")" "publishing it again" "the damage is noticed"
$PY tests/integration/check_results.py "$exp" --digest > "$TMP/now"
diff "$TMP/good" "$TMP/now" > /dev/null || fail "the file published again differs"
echo "ok: flipped bytes detected by the chunk checksums; a damaged results.h5 published again"
