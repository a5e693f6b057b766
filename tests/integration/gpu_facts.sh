# GPU facts and GPU failures, on a machine without a GPU (CI never has
# one; the device runs are in the closing notes): the trial runner records
# the GPUs it was given and what the CUDA runtime (dlopen'ed) says of them
# -- "none" with the reason when there is no runtime, driver or device,
# never a failure; a trial that dies of a CUDA out-of-memory error is
# recorded as oom, a failure of that config only.
source tests/integration/common.bash
cat > "$TMP/t.sh" <<'SH'
#!/bin/sh
case "$1" in
  oom) echo "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total capacity)" >&2; exit 1 ;;
  *)   echo "loss=1" ;;
esac
SH
chmod +x "$TMP/t.sh"
cat > "$TMP/spec.yaml" <<'YAML'
name: gpu
command: [./t.sh, "{kind}"]
space:
  kind: {type: choice, values: [ok, oom]}
objective: {metric: loss}
algorithm: grid
budget: {max_trials: 2, max_failed: 0}
YAML
# a GPU given (CUDA_VISIBLE_DEVICES) but no driver on this machine
CUDA_VISIBLE_DEVICES=0 "$HPO" run "$TMP/spec.yaml" --exp "$TMP/a" --quiet > /dev/null
$PY - "$TMP/a/results.h5" <<'PY'
import sys, h5py
t = h5py.File(sys.argv[1], "r")["trials"][:]
for row in t:
    gpu = row["gpu"].decode()
    assert gpu.startswith("0; none ("), gpu       # given device 0; CUDA: no driver, or no runtime
    print("gpu column:", gpu)
ok, oom = t[0], t[1]
assert ok["status"] == b"completed"
assert oom["status"] == b"oom", oom["status"]
assert oom["reason"].decode().startswith("GPU out of memory: RuntimeError: CUDA out of memory."), oom["reason"]
PY
grep -q '^0; none (' "$TMP/a/trials/t000000/gpu" || fail "the full GPU facts are not in the trial's gpu file"
assert_contains "$("$HPO" status "$TMP/a")" "(oom): GPU out of memory" "status shows the oom"
# no libcudart at all: the sweep runs and records none, saying why
HPO_CUDART=/nonexistent/libcudart.so CUDA_VISIBLE_DEVICES=0 "$HPO" run "$TMP/spec.yaml" --exp "$TMP/b" --quiet > /dev/null
$PY -c "
import h5py
g = h5py.File('$TMP/b/results.h5', 'r')['trials'][0]['gpu'].decode()
assert g == '0; none (no CUDA runtime: libcudart not found)', g"
# no GPU given and no /dev/nvidia0: none, without asking CUDA
"$HPO" run "$TMP/spec.yaml" --exp "$TMP/c" --quiet > /dev/null
if [ ! -e /dev/nvidia0 ]; then
    assert_eq "$($PY -c "import h5py; print(h5py.File('$TMP/c/results.h5', 'r')['trials'][0]['gpu'].decode())")" none "gpu without a GPU"
fi
echo ok
