"""Summarise bench/media.sh's per-file JSON lines as a markdown table (ratios = peer / ours)."""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        rows[r["kind"]].append(r)


def q(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


print("| what | files | ours p50 ms | peer p50 ms | speed-up p50 (peer/ours per file) | p10 | p90 | files where ours is faster | total time ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for kind in sorted(rows):
    rs = rows[kind]
    ratios = [r["peer_ms"] / r["ours_ms"] for r in rs]
    faster = sum(1 for r in rs if r["ours_ms"] < r["peer_ms"])
    total = sum(r["peer_ms"] for r in rs) / sum(r["ours_ms"] for r in rs)
    print(
        f"| {kind} | {len(rs)} | {statistics.median(r['ours_ms'] for r in rs):.1f} "
        f"| {statistics.median(r['peer_ms'] for r in rs):.1f} | {statistics.median(ratios):.2f}x "
        f"| {q(ratios, 0.1):.2f}x | {q(ratios, 0.9):.2f}x | {faster}/{len(rs)} | {total:.2f}x |"
    )
