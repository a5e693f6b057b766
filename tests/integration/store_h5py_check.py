#!/usr/bin/python3
"""store_h5py_check.py -- check that a results.h5 follows layout version 1
(README.md, "results.h5") using h5py and numpy alone, as an analyst would.

    /usr/bin/python3 store_h5py_check.py FILE [EXPECT ...]

Validates the layout (root attributes, the /trials, /curves and /rounds
tables and their field names, /config columns aligned with /trials, their
attributes and sentinels) and prints a short summary.  Each EXPECT is
checked too:

    attr.NAME=VALUE            root attribute
    len.TABLE=N                rows of trials, curves or rounds
    trials.FIELD[I]=VALUE      a /trials cell
    curves.FIELD[I]=VALUE      a /curves cell
    rounds.FIELD[I]=VALUE      a /rounds cell
    config.PARAM[I]=VALUE      a parameter of trial I, decoded: a float, an
                               int, a choice's text, or "none" if inactive

Numbers compare as floats (nan equals nan), everything else as text.
With pandas installed, the tables are also loaded as DataFrames.
Exit status 0 when everything holds, 1 otherwise.
"""
import math
import re
import sys

import h5py
import numpy as np

TRIAL_FIELDS = ["trial_id", "round", "array_index", "parent_id", "budget", "bracket", "rung", "status",
                "objective", "exit_code", "signal", "slurm_job_id", "node", "start_time",
                "end_time", "runtime_s", "max_rss_kb", "gpu", "reason"]
CURVE_FIELDS = ["trial_id", "step", "metric", "value", "time"]
ROUND_FIELDS = ["round", "kind", "array_job_id", "driver_job_id", "n_trials",
                "submitted_at", "finished_at"]
ROOT_ATTRS = ["format", "format_version", "name", "spec_yaml", "spec_sha256", "seed",
              "objective", "mode", "created", "writing"]

errors = []


def fail(msg):
    errors.append(msg)


def text(v):
    """An attribute or cell as str (fixed-length strings come back as bytes)."""
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == ():
        return text(v[()])
    return str(v)


def check_table(f, name, fields):
    if name not in f:
        fail(f"/{name} is missing")
        return None
    ds = f[name]
    if ds.ndim != 1 or ds.maxshape != (None,) or ds.chunks is None:
        fail(f"/{name} is not an extendible chunked 1-D dataset")
    names = list(ds.dtype.names or [])
    if names != fields:
        fail(f"/{name} fields {names} != {fields}")
    return ds[:]


def decode_config(ds, i):
    v = ds[i]
    kind = text(ds.attrs["type"])
    if kind == "float":
        return "none" if math.isnan(v) else float(v)
    if v == ds.attrs["missing"]:
        return "none"
    if kind == "int":
        return int(v)
    return text(ds.attrs["choices"][v])


def check_config(f, n_trials):
    if "config" not in f or not isinstance(f["config"], h5py.Group):
        fail("/config is missing")
        return
    for p, ds in f["config"].items():
        kind = text(ds.attrs.get("type", b"?"))
        if ds.shape != (n_trials,):
            fail(f"/config/{p} has shape {ds.shape}, /trials {n_trials} rows")
        if kind == "float":
            if ds.dtype != np.float64:
                fail(f"/config/{p} is {ds.dtype}, not float64")
            for a in ("low", "high", "log"):
                if a not in ds.attrs:
                    fail(f"/config/{p} lacks attribute {a}")
        elif kind in ("int", "choice"):
            if ds.dtype != np.int64:
                fail(f"/config/{p} is {ds.dtype}, not int64")
            missing = np.iinfo(np.int64).min if kind == "int" else -1
            if ds.attrs.get("missing") != missing:
                fail(f"/config/{p}: attribute missing != {missing}")
            if kind == "choice":
                choices = [text(c) for c in ds.attrs.get("choices", [])]
                v = ds[:]
                bad = (v != -1) & ((v < 0) | (v >= len(choices)))
                if bad.any():
                    fail(f"/config/{p} holds indices outside its {len(choices)} choices")
        else:
            fail(f"/config/{p} has type {kind!r}")


def same(got, want):
    try:
        g, w = float(got), float(want)
        return (math.isnan(g) and math.isnan(w)) or g == w
    except (TypeError, ValueError):
        return text(got) == want


def check_expect(f, tables, e):
    m = re.fullmatch(r"attr\.(\w+)=(.*)", e, re.S)
    if m:
        name, want = m.groups()
        got = f.attrs.get(name)
        if got is None or not same(text(got), want):
            fail(f"{e}: got {got!r}")
        return
    m = re.fullmatch(r"len\.(\w+)=(\d+)", e)
    if m:
        got = len(tables.get(m.group(1), []))
        if got != int(m.group(2)):
            fail(f"{e}: got {got}")
        return
    m = re.fullmatch(r"(trials|curves|rounds)\.(\w+)\[(\d+)\]=(.*)", e, re.S)
    if m:
        t, field, i, want = m.groups()
        got = tables[t][int(i)][field]
        if not same(got, want):
            fail(f"{e}: got {text(got)!r}")
        return
    m = re.fullmatch(r"config\.([^\[]+)\[(\d+)\]=(.*)", e, re.S)
    if m:
        p, i, want = m.groups()
        got = decode_config(f["config"][p], int(i))
        if not same(got, want):
            fail(f"{e}: got {got!r}")
        return
    fail(f"cannot parse expectation {e!r}")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with h5py.File(argv[1], "r") as f:
        for a in ROOT_ATTRS:
            if a not in f.attrs:
                fail(f"root attribute {a} is missing")
        if text(f.attrs.get("format", b"")) != "hpo-results":
            fail("format is not hpo-results")
        if f.attrs.get("format_version") != 1:
            fail(f"format_version is {f.attrs.get('format_version')}, not 1")
        if f.attrs.get("writing") != 0:
            fail("writing flag is set")
        if text(f.attrs.get("mode", b"")) not in ("min", "max"):
            fail("mode is neither min nor max")
        tables = {
            "trials": check_table(f, "trials", TRIAL_FIELDS),
            "curves": check_table(f, "curves", CURVE_FIELDS),
            "rounds": check_table(f, "rounds", ROUND_FIELDS),
        }
        if "optimizer" not in f or not isinstance(f["optimizer"], h5py.Group):
            fail("/optimizer group is missing")
        trials = tables["trials"]
        if trials is not None:
            if not np.array_equal(trials["trial_id"], np.arange(len(trials))):
                fail("trial ids are not dense from 0")
            check_config(f, len(trials))
        for e in argv[2:]:
            check_expect(f, tables, e)
        try:
            import pandas as pd
            frames = {k: pd.DataFrame(v) for k, v in tables.items() if v is not None}
            cfg = pd.DataFrame({p: ds[:] for p, ds in f["config"].items()})
            df = frames["trials"].join(cfg)
            print(f"pandas: trials+config frame {df.shape}, curves frame "
                  f"{frames['curves'].shape}")
        except ImportError:
            pass
        print(f"{argv[1]}: {len(trials) if trials is not None else '?'} trials, "
              f"{len(f['config']) if 'config' in f else '?'} parameters, "
              f"{len(tables['curves']) if tables['curves'] is not None else '?'} curve points, "
              f"{len(tables['rounds']) if tables['rounds'] is not None else '?'} rounds")
    for e in errors:
        print("error: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
