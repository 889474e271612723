"""The numpy/pandas half of bench/series.sh: a tumbling 1-minute mean (and p95) over the same
10M points the Rust half aggregated (window_input.bin: i64 ms timestamps, then f64 values).

Times only the aggregation (data already in memory), best of 5, and prints the checksum of the
means so both halves can be seen to compute the same thing.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

out = Path(sys.argv[1])
raw = np.fromfile(out / "window_input.bin", dtype="<i8")
n = raw.size // 2
ts = raw[:n]
values = raw[n:].view("<f8")


def best(f, runs=5):
    t = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = f()
        t = min(t, time.perf_counter() - start)
    return t, result


def numpy_mean():
    bucket = ts // 60_000
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    sums = np.add.reduceat(values, starts)
    counts = np.diff(np.r_[starts, values.size])
    return sums / counts


series = pd.Series(values, index=pd.to_datetime(ts, unit="ms"))


def pandas_mean():
    return series.resample("1min").mean().dropna().to_numpy()


def pandas_p95():
    return series.resample("1min").quantile(0.95).dropna().to_numpy()


results = {}
for name, f, runs in [
    ("numpy_mean", numpy_mean, 5),
    ("pandas_mean", pandas_mean, 5),
    ("pandas_p95", pandas_p95, 3),
]:
    t, r = best(f, runs)
    results[name + "_s"] = t
    print(f"{name}: {t * 1e3:.1f} ms (best of {runs}; {r.size} windows; checksum {r.sum():.6f})")

rust = json.loads((out / "rust.json").read_text())
print(
    f"bifrost tumbling mean vs numpy: {results['numpy_mean_s'] / rust['window_mean_10m_s']:.2f}x, "
    f"vs pandas: {results['pandas_mean_s'] / rust['window_mean_10m_s']:.2f}x; "
    f"p95 vs pandas: {results['pandas_p95_s'] / rust['window_p95_10m_s']:.2f}x "
    "(> 1: bifrost faster)"
)
print(f"numpy {np.__version__}, pandas {pd.__version__}")
(out / "python.json").write_text(json.dumps(results, indent=2))
