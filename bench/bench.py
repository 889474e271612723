#!/usr/bin/env python3
"""Bifrost vs restic (and cp) on the same data, in the same run, back to back.

Called by bench/run.sh, which builds the binary and owns the scratch directory. Prints markdown
tables on stdout (progress goes to stderr) and, with --json, writes every raw figure to a file.

Workloads:
  (a) VERSIONS versions of one incompressible file of BIG_MIB MiB, ~1% changed in 3-5 places
      plus a few inserted bytes per version. Each version is written, synced, then ingested by
      both tools one after the other (which goes first alternates). Then the last version is
      restored by both and copied with cp, ROUNDS times, rotating the order.
  (b) DIRS x FILES small files of 1-64 KiB: one publish vs one backup into fresh repositories,
      REPS times (order alternating); then restore vs cp -r, ROUNDS times.
Timings are wall-clock (time.perf_counter around the process) plus user+sys CPU of the process.
Afterwards (unless --no-profile), extra runs that are not part of the figures show where bifrost's
time goes: one publish per workload with BIFROST_LOG=debug (phases, SQLite statement times) and
`perf record` profiles of a publish and a checkout (when perf is installed).
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ inside the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

MB = 1e6
MiB = 1 << 20


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, env=None, cwd=None):
    """Runs cmd; returns (wall seconds, user+sys CPU seconds). Fails loudly."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        log(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}")
        log(p.stdout.decode(errors="replace")[-4000:])
        log(p.stderr.decode(errors="replace")[-4000:])
        sys.exit(1)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu


def sync():
    os.sync()


BALLAST = {"path": None, "mib": 640}


def settle():
    """Puts every timed command in the same memory conditions, then syncs.

    On this kind of VM (free page reporting to the host), page cache written into memory the guest
    has not touched recently costs ~3 us per 4 KiB page: cp of 256 MiB takes 0.6-1.0 s into "cold"
    memory but 0.08-0.1 s into pages freed a moment ago. So before each timed command a ballast file
    is written, synced and deleted: whoever runs next finds BALLAST MiB of recently freed pages.
    (Deleting the previous outputs instead would also do it, but deleting 10,000 files makes the
    next 10,000 creations slow on journal-less ext4; outputs are kept until the workload ends.)
    """
    if BALLAST["path"] and BALLAST["mib"] > 0:
        zeros = bytes(16 * MiB)
        with open(BALLAST["path"], "wb") as f:
            for _ in range(max(1, BALLAST["mib"] // 16)):
                f.write(zeros)
        sync()
        os.remove(BALLAST["path"])
    sync()


def du_sb(path):
    out = subprocess.run(["du", "-sb", path], stdout=subprocess.PIPE, check=True).stdout
    return int(out.split()[0])


def warm(paths):
    """Reads every file under paths so that all tools start from a warm page cache."""
    for root in paths:
        for dirpath, _, files in os.walk(root):
            for f in files:
                with open(os.path.join(dirpath, f), "rb") as fh:
                    while fh.read(8 * MiB):
                        pass


def rm(path):
    shutil.rmtree(path, ignore_errors=True)


def same_tree(a, b):
    return subprocess.run(["diff", "-rq", a, b], stdout=subprocess.DEVNULL).returncode == 0


class Tools:
    def __init__(self, bifrost, scratch):
        self.bifrost = bifrost
        self.env = dict(os.environ)
        self.env.update(
            RESTIC_PASSWORD="bifrost-bench",
            RESTIC_CACHE_DIR=os.path.join(scratch, "restic-cache"),
            BIFROST_AUTHOR="bench",
            BIFROST_LOG="warn",
        )
        self.env.pop("BIFROST_REPO", None)
        self.env.pop("RESTIC_REPOSITORY", None)

    # bifrost
    def b(self, *args, repo=None):
        cmd = [self.bifrost, "-q"] + (["-C", repo] if repo else []) + list(args)
        return run(cmd, env=self.env)

    # restic
    def r(self, repo, *args):
        return run(["restic", "-q", "-r", repo] + list(args), env=self.env)

    def restic_repo_version(self, repo):
        out = subprocess.run(
            ["restic", "-r", repo, "cat", "config"], env=self.env, stdout=subprocess.PIPE, check=True
        ).stdout
        return json.loads(out).get("version")


def traced(tools, args, repo):
    """Runs a bifrost command with BIFROST_LOG=debug and splits its wall time into phases using
    the catalog's statement log (sqlx logs every statement with its elapsed time)."""
    import datetime
    import re
    env = dict(tools.env, BIFROST_LOG="debug", NO_COLOR="1")
    start = time.time()
    p = subprocess.run([tools.bifrost, "-q", "-C", repo] + list(args), env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    end = time.time()
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    unit = {"µs": 1e-6, "ms": 1e-3, "s": 1.0}
    stmts, first_lookup, last_pack = {}, None, None
    for line in p.stderr.decode(errors="replace").splitlines():
        line = ansi.sub("", line)
        try:
            t = datetime.datetime.fromisoformat(line[:27].replace("Z", "+00:00")).timestamp() - start
        except ValueError:
            continue
        m = re.search(r'summary="([A-Za-z_ ]+)', line)
        e = re.search(r"elapsed=([\d.]+)(µs|ms|s)\b", line)
        if not (m and e):
            continue
        kind = " ".join(m.group(1).split()[:3])
        n, total = stmts.get(kind, (0, 0.0))
        stmts[kind] = (n + 1, total + float(e.group(1)) * unit[e.group(2)])
        if kind.startswith("SELECT id FROM") and first_lookup is None:
            first_lookup = t
        if kind.startswith("INSERT INTO packs"):
            last_pack = t
    return {"wall": end - start, "first_lookup": first_lookup, "last_pack": last_pack, "statements": stmts}


def profile(cmd, env, out, limit=10):
    """Flat perf profile (top symbols, all threads, user+kernel) of cmd; None without perf."""
    if not shutil.which("perf"):
        return None
    data = out + ".perf"
    r = subprocess.run(["perf", "record", "-q", "-F", "1999", "-o", data, "--"] + cmd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        return None
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "sym", "--stdio",
                          "-g", "none", "--percent-limit", "1"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode(errors="replace")
    os.remove(data)
    rows = []
    for line in rep.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].endswith("%") and parts[1] in ("[k]", "[.]"):
            rows.append((float(parts[0][:-1]), ("kernel " if parts[1] == "[k]" else "") + parts[2]))
    return rows[:limit]


def catalog_tables(db):
    """Bytes per table and index of a SQLite catalog (needs the sqlite3 shell with dbstat)."""
    if not shutil.which("sqlite3") or not os.path.exists(db):
        return None
    r = subprocess.run(["sqlite3", "-readonly", db,
                        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        return None
    rows = []
    for line in r.stdout.decode().splitlines():
        name, _, size = line.rpartition("|")
        if name and size.isdigit():
            rows.append((name, int(size)))
    return {"file": os.path.getsize(db), "tables": rows}


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def lo(xs):
    return min(xs) if xs else float("nan")


def restore_rounds(tools, rounds, jobs, base):
    """jobs: name -> (callable(dest) -> (wall, cpu), check(dest) -> bool). Rotates the order."""
    names = list(jobs)
    os.makedirs(base, exist_ok=True)
    times = {n: [] for n in names}
    cpus = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for n in order:
            dest = os.path.join(base, f"{n}-{r}")
            settle()
            wall, cpu = jobs[n][0](dest)
            times[n].append(wall)
            cpus[n].append(cpu)
            if r == 0 and not jobs[n][1](dest):
                log(f"restore by {n} produced different bytes")
                sys.exit(1)
            # Outputs are kept until the workload ends: on journal-less ext4, creating many files
            # soon after deleting many is slowed by the allocator skipping recently deleted inodes
            # (ext4 recently_deleted(); up to 8 s for cp -r of this tree), which would penalise
            # whichever tool runs after a deletion. settle() evens out memory instead.
        log(f"  restore round {r + 1}/{rounds}: " + ", ".join(f"{n} {times[n][-1]:.2f}s" for n in names))
    return times, cpus


def workload_a(tools, scratch, size, versions, rounds, do_profile):
    base = os.path.join(scratch, "a")
    data_dir = os.path.join(base, "data")
    os.makedirs(data_dir)
    src = os.path.join(data_dir, "scene.bin")
    brepo = os.path.join(base, "bifrost-repo")
    rrepo = os.path.join(base, "restic-repo")
    tools.b("init", brepo)
    tools.b("asset", "create", "scene", "--type", "scene", repo=brepo)
    tools.r(rrepo, "init")
    res = {"size": size, "versions": versions, "rows": [], "restic_repo_version": tools.restic_repo_version(rrepo)}
    bpacks = os.path.join(brepo, ".bifrost", "store")
    big = gen.BigFile(size)
    for v in range(1, versions + 1):
        if v > 1:
            big.next_version()
        big.write(src)
        sync()
        logical = len(big.data)
        before = {"bifrost": du_sb(bpacks), "restic": du_sb(rrepo)}
        row = {"version": v, "bytes": logical}
        jobs = {
            "bifrost": lambda: tools.b("publish", "scene", src, repo=brepo),
            "restic": lambda: tools.r(rrepo, "backup", src),
        }
        order = ["bifrost", "restic"] if v % 2 else ["restic", "bifrost"]
        for n in order:
            settle()
            wall, cpu = jobs[n]()
            row[n] = wall
            row[n + "_cpu"] = cpu
        row["bifrost_new"] = du_sb(bpacks) - before["bifrost"]
        row["restic_new"] = du_sb(rrepo) - before["restic"]
        res["rows"].append(row)
        log(f"  (a) v{v}: bifrost {row['bifrost']:.2f}s, restic {row['restic']:.2f}s; "
            f"new bytes bifrost {row['bifrost_new'] / MiB:.1f} MiB, restic {row['restic_new'] / MiB:.1f} MiB")
    res["bifrost_packs"] = du_sb(os.path.join(bpacks, "packs"))
    res["bifrost_catalog"] = sum(
        os.path.getsize(os.path.join(brepo, ".bifrost", f))
        for f in os.listdir(os.path.join(brepo, ".bifrost"))
        if f.startswith("catalog.db")
    )
    res["bifrost_total"] = du_sb(os.path.join(brepo, ".bifrost"))
    res["restic_data"] = du_sb(os.path.join(rrepo, "data"))
    res["restic_total"] = du_sb(rrepo)

    # Restore the last version; every tool starts from a warm page cache.
    last = os.path.join(data_dir, "last.bin")
    os.replace(src, last)  # restic restores the original path; keep the bytes for checking
    sync()
    warm([last, brepo, rrepo])
    rel = src.lstrip("/")
    out = os.path.join(base, "out")
    jobs = {
        "cp": (lambda d: (os.makedirs(d), run(["cp", last, os.path.join(d, "scene.bin")]))[1],
               lambda d: same_tree(os.path.join(d, "scene.bin"), last)),
        "bifrost": (lambda d: tools.b("checkout", "scene", d, repo=brepo),
                    lambda d: same_tree(os.path.join(d, "scene.bin"), last)),
        "restic": (lambda d: tools.r(rrepo, "restore", "latest", "--target", d),
                   lambda d: same_tree(os.path.join(d, rel), last)),
    }
    res["restore"], res["restore_cpu"] = restore_rounds(tools, rounds, jobs, out)
    if do_profile:
        settle()
        res["profile_checkout"] = profile(
            [tools.bifrost, "-q", "-C", brepo, "checkout", "scene", os.path.join(out, "profiled")],
            tools.env, os.path.join(base, "checkout"))
        # One more version (v N+1), traced and profiled, to show where a mostly-deduplicated
        # publish spends its time; not part of the figures above.
        big.next_version()
        big.write(src)
        settle()
        res["trace_publish"] = traced(tools, ["publish", "scene", src], brepo)
        big.next_version()
        big.write(src)
        settle()
        res["profile_publish"] = profile([tools.bifrost, "-q", "-C", brepo, "publish", "scene", src],
                                         tools.env, os.path.join(base, "publish"))
    rm(base)
    return res


def workload_b(tools, scratch, dirs, files, reps, rounds, do_profile):
    base = os.path.join(scratch, "b")
    tree = os.path.join(base, "tree")
    os.makedirs(tree)
    total = gen.small_tree(tree, dirs, files)
    sync()
    res = {"files": dirs * files, "bytes": total, "reps": [], "restic_repo_version": None}
    for rep in range(reps):
        brepo = os.path.join(base, f"bifrost-repo-{rep}")
        rrepo = os.path.join(base, f"restic-repo-{rep}")
        tools.b("init", brepo)
        tools.b("asset", "create", "tree", "--type", "texture", repo=brepo)
        tools.r(rrepo, "init")
        res["restic_repo_version"] = tools.restic_repo_version(rrepo)
        warm([tree])
        row = {}
        jobs = {
            "bifrost": lambda: tools.b("publish", "tree", tree, repo=brepo),
            "restic": lambda: tools.r(rrepo, "backup", tree),
        }
        for n in (["bifrost", "restic"] if rep % 2 == 0 else ["restic", "bifrost"]):
            settle()
            wall, cpu = jobs[n]()
            row[n], row[n + "_cpu"] = wall, cpu
        res["reps"].append(row)
        log(f"  (b) rep {rep + 1}/{reps}: bifrost {row['bifrost']:.2f}s, restic {row['restic']:.2f}s")
    res["bifrost_packs"] = du_sb(os.path.join(brepo, ".bifrost", "store", "packs"))
    res["bifrost_total"] = du_sb(os.path.join(brepo, ".bifrost"))
    res["restic_data"] = du_sb(os.path.join(rrepo, "data"))
    res["restic_total"] = du_sb(rrepo)
    res["source_du"] = du_sb(tree)
    res["catalog_tables"] = catalog_tables(os.path.join(brepo, ".bifrost", "catalog.db"))

    warm([tree, brepo, rrepo])
    rel = tree.lstrip("/")
    out = os.path.join(base, "out")
    jobs = {
        "cp": (lambda d: run(["cp", "-r", tree, d]), lambda d: same_tree(d, tree)),
        "bifrost": (lambda d: tools.b("checkout", "tree", d, repo=brepo), lambda d: same_tree(d, tree)),
        "restic": (lambda d: tools.r(rrepo, "restore", "latest", "--target", d),
                   lambda d: same_tree(os.path.join(d, rel), tree)),
    }
    res["restore"], res["restore_cpu"] = restore_rounds(tools, rounds, jobs, out)
    if do_profile:
        settle()
        res["profile_checkout"] = profile(
            [tools.bifrost, "-q", "-C", brepo, "checkout", "tree", os.path.join(out, "profiled")],
            tools.env, os.path.join(base, "checkout"))
        for kind, name in (("trace_publish", "traced"), ("profile_publish", "profiled")):
            repo = os.path.join(base, f"bifrost-{name}")
            tools.b("init", repo)
            tools.b("asset", "create", "tree", "--type", "texture", repo=repo)
            settle()
            if kind == "trace_publish":
                res[kind] = traced(tools, ["publish", "tree", tree], repo)
            else:
                res[kind] = profile([tools.bifrost, "-q", "-C", repo, "publish", "tree", tree],
                                    tools.env, os.path.join(base, "publish"))
    rm(base)
    return res


def fmt_s(x):
    return f"{x:.2f}"


def fmt_mib(x):
    return f"{x / MiB:,.1f} MiB"


def verdict(ok):
    return "met" if ok else "**missed**"


def report(a, b, rounds):
    lines = []
    p = lines.append
    if a:
        rows = a["rows"]
        n = len(rows)
        logical = sum(r["bytes"] for r in rows)
        tb = sum(r["bifrost"] for r in rows)
        tr = sum(r["restic"] for r in rows)
        cb = sum(r["bifrost_cpu"] for r in rows)
        cr = sum(r["restic_cpu"] for r in rows)
        f = rows[0]
        thr_b, thr_r = logical / tb / MB, logical / tr / MB
        fb, fr = f["bytes"] / f["bifrost"] / MB, f["bytes"] / f["restic"] / MB
        rest = rows[1:]
        p(f"### (a) {n} versions of a {a['size'] // MiB} MiB incompressible file "
          f"(~1% changed in 3-5 places + inserted bytes per version)")
        p("")
        p(f"Logical data ingested: {logical / MiB:,.0f} MiB. restic repository format v{a['restic_repo_version']} "
          "(compression auto).")
        p("")
        p("| measure | bifrost | restic 0.14 | bifrost vs restic | target |")
        p("|---|---:|---:|---:|---|")
        p(f"| ingest, first version alone | {fmt_s(f['bifrost'])} s ({fb:,.0f} MB/s) | "
          f"{fmt_s(f['restic'])} s ({fr:,.0f} MB/s) | {fb / fr:.2f}x throughput | |")
        if rest:
            rb = sum(r["bifrost"] for r in rest) / len(rest)
            rr = sum(r["restic"] for r in rest) / len(rest)
            p(f"| ingest, versions 2-{n} (mean per version) | {fmt_s(rb)} s | {fmt_s(rr)} s | "
              f"{rr / rb:.2f}x faster | |")
        p(f"| ingest, all {n} versions | {fmt_s(tb)} s ({thr_b:,.0f} MB/s) | {fmt_s(tr)} s ({thr_r:,.0f} MB/s) | "
          f"**{thr_b / thr_r:.2f}x** throughput | >= 2x: {verdict(thr_b / thr_r >= 2)} |")
        p(f"| CPU (user+sys), all versions | {fmt_s(cb)} s | {fmt_s(cr)} s | {cb / cr:.2f}x | |")
        p(f"| stored: packs / data dir | {fmt_mib(a['bifrost_packs'])} | {fmt_mib(a['restic_data'])} | "
          f"{a['bifrost_packs'] / a['restic_data']:.3f} | |")
        p(f"| stored: whole repository (bifrost incl. catalog.db {a['bifrost_catalog'] / 1024:,.0f} KiB) | "
          f"{fmt_mib(a['bifrost_total'])} | {fmt_mib(a['restic_total'])} | "
          f"**{a['bifrost_total'] / a['restic_total']:.3f}** | <= 1: {verdict(a['bifrost_total'] <= a['restic_total'])} |")
        nb = sum(r["bifrost_new"] for r in rest) / max(1, len(rest))
        nr = sum(r["restic_new"] for r in rest) / max(1, len(rest))
        if rest:
            p(f"| stored per later version (mean growth) | {fmt_mib(nb)} | {fmt_mib(nr)} | {nb / nr:.3f} | |")
        p("")
        restore_table(lines, a["restore"], a["restore_cpu"], rounds, f"last version ({rows[-1]['bytes'] / MiB:.0f} MiB, one file)")
        p("")
        p("<details><summary>per version</summary>")
        p("")
        p("| version | bytes | bifrost s | restic s | bifrost new stored | restic new stored |")
        p("|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            p(f"| {r['version']} | {r['bytes']:,} | {fmt_s(r['bifrost'])} | {fmt_s(r['restic'])} | "
              f"{fmt_mib(r['bifrost_new'])} | {fmt_mib(r['restic_new'])} |")
        p("")
        p("</details>")
        p("")
    if b:
        reps = b["reps"]
        tb = median([r["bifrost"] for r in reps])
        tr = median([r["restic"] for r in reps])
        cb = median([r["bifrost_cpu"] for r in reps])
        cr = median([r["restic_cpu"] for r in reps])
        thr_b, thr_r = b["bytes"] / tb / MB, b["bytes"] / tr / MB
        p(f"### (b) {b['files']:,} small files of 1-64 KiB ({b['bytes'] / MiB:,.0f} MiB, incompressible)")
        p("")
        p(f"One publish vs one backup into fresh repositories; median of {len(reps)} repetitions "
          f"(all: bifrost {', '.join(fmt_s(r['bifrost']) for r in reps)} s; "
          f"restic {', '.join(fmt_s(r['restic']) for r in reps)} s).")
        p("")
        p("| measure | bifrost | restic 0.14 | bifrost vs restic | target |")
        p("|---|---:|---:|---:|---|")
        p(f"| ingest (median) | {fmt_s(tb)} s ({thr_b:,.0f} MB/s) | {fmt_s(tr)} s ({thr_r:,.0f} MB/s) | "
          f"**{thr_b / thr_r:.2f}x** throughput | >= 2x: {verdict(thr_b / thr_r >= 2)} |")
        bb, br = lo([r["bifrost"] for r in reps]), lo([r["restic"] for r in reps])
        p(f"| ingest (best repetition) | {fmt_s(bb)} s ({b['bytes'] / bb / MB:,.0f} MB/s) | "
          f"{fmt_s(br)} s ({b['bytes'] / br / MB:,.0f} MB/s) | {br / bb:.2f}x throughput | |")
        p(f"| CPU (user+sys) | {fmt_s(cb)} s | {fmt_s(cr)} s | {cb / cr:.2f}x | |")
        p(f"| stored: packs / data dir | {fmt_mib(b['bifrost_packs'])} | {fmt_mib(b['restic_data'])} | "
          f"{b['bifrost_packs'] / b['restic_data']:.3f} | |")
        p(f"| stored: whole repository (bifrost incl. catalog.db) | {fmt_mib(b['bifrost_total'])} | "
          f"{fmt_mib(b['restic_total'])} | **{b['bifrost_total'] / b['restic_total']:.3f}** | "
          f"<= 1: {verdict(b['bifrost_total'] <= b['restic_total'])} |")
        p(f"| (source tree: du -sb) | {fmt_mib(b['source_du'])} | | | |")
        p("")
        ct = b.get("catalog_tables")
        if ct:
            p(f"catalog.db after this publish: {ct['file'] / 1024:,.0f} KiB = {ct['file'] / b['files']:,.0f} bytes "
              "per file; largest tables and indexes: "
              + ", ".join(f"{n} {sz / 1024:,.0f} KiB" for n, sz in ct["tables"]) + ".")
            p("")
        restore_table(lines, b["restore"], b["restore_cpu"], rounds, f"the tree ({b['files']:,} files)")
        p("")
    if (a and a.get("trace_publish")) or (b and b.get("trace_publish")):
        p("### Where bifrost's time goes (extra runs after the measurements; not in the figures above)")
        p("")
        p("Phases of one publish, from the catalog's statement log (`BIFROST_LOG=debug`): start-up and "
          "listing until the first chunk lookup; ingest until the last pack is recorded; then the "
          "version commit. SQLite time is the sum of the statements' own elapsed times.")
        p("")
        p("| publish | wall s | start + list | ingest | commit | SQLite: chunks index (during ingest) | "
          "SQLite: version commit statements |")
        p("|---|---:|---:|---:|---:|---:|---:|")
        for label, w in (("(a) one more version of the big file", a), ("(b) the 10,000-file tree, fresh repo", b)):
            t = w and w.get("trace_publish")
            if not t or t["first_lookup"] is None or t["last_pack"] is None:
                continue
            st = t["statements"]
            during = sum(v[1] for k, v in st.items() if k.startswith("INSERT INTO chunks") or
                         k.startswith("INSERT INTO packs") or k.startswith("SELECT id FROM"))
            commit = sum(v[1] for k, v in st.items() if k.split()[:3] in (
                ["INSERT", "INTO", "contents"], ["INSERT", "INTO", "content_chunks"],
                ["INSERT", "INTO", "version_files"], ["INSERT", "INTO", "versions"]))
            p(f"| {label} | {fmt_s(t['wall'])} | {fmt_s(t['first_lookup'])} | "
              f"{fmt_s(t['last_pack'] - t['first_lookup'])} | {fmt_s(t['wall'] - t['last_pack'])} | "
              f"{fmt_s(during)} | {fmt_s(commit)} |")
        p("")
        for label, key, w in (("checkout of the big file", "profile_checkout", a),
                              ("publish of one more big-file version", "profile_publish", a),
                              ("checkout of the 10,000-file tree", "profile_checkout", b),
                              ("publish of the 10,000-file tree", "profile_publish", b)):
            prof = w and w.get(key)
            if prof:
                p(f"- perf, {label}: " + "; ".join(f"{sym} {pct:.1f}%" for pct, sym in prof))
        p("")
    return "\n".join(lines)


def restore_table(lines, t, c, rounds, what):
    p = lines.append
    mb, mr, mc = median(t["bifrost"]), median(t["restic"]), median(t["cp"])
    p(f"Restore of {what}, warm page cache (sources and repositories were just read; caches cannot be "
      f"dropped here); {rounds} rounds, order rotated each round:")
    p("")
    p("| | wall s (median) | wall s (best) | all rounds | CPU s (median) | median vs cp | median vs restic |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    for n, label in (("cp", "cp"), ("bifrost", "bifrost checkout"), ("restic", "restic restore")):
        m = median(t[n])
        p(f"| {label} | {fmt_s(m)} | {fmt_s(lo(t[n]))} | {', '.join(fmt_s(x) for x in t[n])} | "
          f"{fmt_s(median(c[n]))} | {m / mc:.2f}x | {m / mr:.2f}x |")
    p("")
    p(f"bifrost checkout / cp = **{mb / mc:.2f}x** on medians, {lo(t['bifrost']) / lo(t['cp']):.2f}x on best "
      f"rounds (target <= 1.5x: {verdict(mb / mc <= 1.5)}); bifrost / restic restore = {mb / mr:.2f}x.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bifrost", required=True)
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--big-mib", type=int, default=256)
    ap.add_argument("--versions", type=int, default=10)
    ap.add_argument("--dirs", type=int, default=100)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--small-reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=["a", "b"], default=None)
    ap.add_argument("--ballast-mib", type=int, default=640,
                    help="recently freed memory given to each timed command (see settle())")
    ap.add_argument("--json", default=None)
    ap.add_argument("--no-profile", dest="profile", action="store_false",
                    help="skip the traced/profiled extra runs (where the time goes)")
    args = ap.parse_args()
    tools = Tools(args.bifrost, args.scratch)
    BALLAST["path"] = os.path.join(args.scratch, "ballast")
    BALLAST["mib"] = args.ballast_mib
    a = b = None
    if args.only in (None, "a"):
        log(f"workload (a): {args.versions} versions of {args.big_mib} MiB")
        a = workload_a(tools, args.scratch, args.big_mib * MiB, args.versions, args.rounds, args.profile)
    if args.only in (None, "b"):
        log(f"workload (b): {args.dirs * args.files} small files")
        b = workload_b(tools, args.scratch, args.dirs, args.files, args.small_reps, args.rounds, args.profile)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"a": a, "b": b}, fh, indent=1)
    print(report(a, b, args.rounds))


if __name__ == "__main__":
    main()
