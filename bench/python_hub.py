"""Issue 12's Python benchmark, one half of `bench/python.sh` (which sets up the servers).

Times, side by side in one run:
- listing 100 assets: `bifrost.hub.connect(...).list_assets(limit=100)` against `bifrost serve`,
  and `gazu.asset.all_assets_for_project(project)` against Zou (both on the same PostgreSQL);
- publishing and checking out one file of SIZE MiB on a local repository: `bifrost.hub.open(...)`
  against the `bifrost` CLI doing the same (`bifrost publish`, `bifrost checkout`).

Prints one JSON object of medians (seconds) on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def median_time(fn, rounds: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def list_bench(args) -> dict:
    import bifrost.hub
    import gazu

    hub = bifrost.hub.connect(args.bifrost_url, token=args.bifrost_token, project="main")
    page = hub.list_assets(limit=100)
    assert len(page.items) == 100, len(page.items)
    bifrost_s = median_time(lambda: hub.list_assets(limit=100), args.rounds)

    gazu.set_host(args.zou_url)
    gazu.log_in(args.zou_email, args.zou_password)
    project = gazu.project.get_project(args.zou_project)
    assets = gazu.asset.all_assets_for_project(project)
    assert len(assets) == 100, len(assets)
    gazu_s = median_time(lambda: gazu.asset.all_assets_for_project(project), args.rounds)
    return {"list_bifrost_hub_s": bifrost_s, "list_gazu_s": gazu_s}


def bytes_bench(args) -> dict:
    import bifrost.hub

    scratch = tempfile.mkdtemp(prefix="bifrost-pybench-")
    try:
        data = os.path.join(scratch, "data")
        os.makedirs(data)
        with open(os.path.join(data, "big.bin"), "wb") as f:
            for _ in range(args.size_mib):
                # Random bytes: nothing deduplicates, every chunk is stored and read.
                f.write(os.urandom(1 << 20))
        results = {}
        # Each side twice, in the order cli, hub, hub, cli, keeping each side's best: the
        # first publish of a freshly written file pays for flushing it from the page cache.
        for side in ("cli", "hub", "hub", "cli"):
            repo = os.path.join(scratch, f"repo-{side}")
            os.makedirs(repo)
            subprocess.run([args.bin, "-q", "init"], cwd=repo, check=True)
            subprocess.run([args.bin, "-q", "asset", "create", "big", "--type", "data"], cwd=repo, check=True)
            out = os.path.join(scratch, f"out-{side}")
            if side == "cli":
                start = time.perf_counter()
                subprocess.run([args.bin, "-q", "publish", "big", data, "-m", "bench"], cwd=repo, check=True)
                publish_s = time.perf_counter() - start
                start = time.perf_counter()
                subprocess.run([args.bin, "-q", "checkout", "big@v1", out], cwd=repo, check=True)
                checkout_s = time.perf_counter() - start
            else:
                start = time.perf_counter()
                hub = bifrost.hub.open(repo)
                hub.publish("big", [data], "bench")
                publish_s = time.perf_counter() - start
                start = time.perf_counter()
                hub.checkout("big@v1", out)
                checkout_s = time.perf_counter() - start
            for key, value in ((f"publish_{side}_s", publish_s), (f"checkout_{side}_s", checkout_s)):
                results[key] = min(value, results.get(key, value))
            shutil.rmtree(out)
            shutil.rmtree(repo)
        return results
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--bifrost-url")
    p.add_argument("--bifrost-token")
    p.add_argument("--zou-url")
    p.add_argument("--zou-email")
    p.add_argument("--zou-password")
    p.add_argument("--zou-project")
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--size-mib", type=int, default=1024)
    p.add_argument("--skip-list", action="store_true")
    args = p.parse_args()
    out = {}
    if not args.skip_list:
        out.update(list_bench(args))
    out.update(bytes_bench(args))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
