#!/usr/bin/python3
"""busy.py EXP [EXP...] -- how busy a sweep kept its GPUs, from results.h5
as h5py reads it: for each experiment, with G GPUs (the distinct gpu
indices its trials ran on):

  steady   GPU-seconds inside trials between the first trial's start and the
           last trial's start, over G x that window (leaves out the tail
           once the budget is spent);
  overall  the same from the first start to the last end;
  gap      median seconds between a trial's end and the next trial's start
           on the same GPU (the scheduling overhead, plus the trial
           program's own start is NOT in it: start_time is when the
           runner started the program);
  wall     first start to last end, and to the first trial at the max
           budget whose loss is within TARGET (argument --target).
"""
import argparse
import os

import h5py
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("exps", nargs="+")
ap.add_argument("--target", type=float, default=0.3)
a = ap.parse_args()
print("%-28s %6s %8s %8s %9s %8s %9s" % ("sweep", "trials", "steady", "overall", "gap_ms", "wall_s", "target_s"))
for exp in a.exps:
    t = h5py.File(os.path.join(exp, "results.h5"), "r")["trials"][:]
    t = t[np.isfinite(t["start_time"]) & np.isfinite(t["end_time"])]
    gpu = np.array([g.decode().split(";")[0] for g in t["gpu"]])
    G = len(set(gpu))
    s, e = t["start_time"], t["end_time"]
    t0, t_last_start, t1 = s.min(), s.max(), e.max()
    inside = np.clip(np.minimum(e, t_last_start) - np.maximum(s, t0), 0, None).sum()
    steady = inside / (G * (t_last_start - t0)) if t_last_start > t0 else float("nan")
    overall = (e - s).sum() / (G * (t1 - t0))
    gaps = []
    for g in set(gpu):
        ts = t[gpu == g]
        order = np.argsort(ts["start_time"])
        st, en = ts["start_time"][order], ts["end_time"][order]
        gaps += list(st[1:] - en[:-1])
    gaps = [x for x in gaps if x >= 0]
    top = t["budget"].max()
    hit = t[(t["budget"] == top) & (t["objective"] <= a.target)]
    to_target = (hit["end_time"].min() - t0) if len(hit) else float("inf")
    print("%-28s %6d %8.3f %8.3f %9.1f %8.1f %9.1f" % (os.path.basename(exp.rstrip("/")), len(t), steady, overall,
          1000 * np.median(gaps) if gaps else float("nan"), t1 - t0, to_target))
