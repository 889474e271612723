#!/usr/bin/env python3
"""Deterministic data for the Bifrost benchmark.

Everything comes from random.Random(seed).randbytes (Mersenne Twister), which yields the same
bytes on every machine and Python >= 3.9, so every run benchmarks exactly the same data.

  gen.py big OUT SIZE_BYTES VERSIONS      writes OUT.v1 .. OUT.vN (for inspection)
  gen.py small DIR DIRS FILES_PER_DIR     writes DIR/dNNN/fNNN.bin, 1..64 KiB each

The large-file series is produced one version at a time by BigFile (used by bench.py): version 1
is SIZE random bytes; each later version overwrites ~1% of the bytes in 3-5 places with new
random bytes and inserts 1-3 runs of 1-64 random bytes, shifting everything after them.
"""
import os
import random
import sys

SEED_BIG = 20240601
SEED_SMALL = 20240602
PIECE = 16 * 1024 * 1024  # randbytes() is limited to < 256 MiB per call


def randbytes(rng, n):
    """n random bytes from rng, generated in 16 MiB pieces."""
    if n <= PIECE:
        return rng.randbytes(n)
    out = bytearray()
    while len(out) < n:
        out += rng.randbytes(min(PIECE, n - len(out)))
    return bytes(out)


class BigFile:
    def __init__(self, size, seed=SEED_BIG):
        self.seed = seed
        self.version = 1
        self.data = bytearray(randbytes(random.Random(seed), size))
        self.edits = []  # description of the last mutation

    def next_version(self):
        """Mutates the buffer into the next version; returns a description of the edits."""
        self.version += 1
        rng = random.Random(self.seed * 1000 + self.version)
        n = len(self.data)
        places = rng.randint(3, 5)
        span = max(1, n // 100 // places)
        edits = []
        for _ in range(places):
            at = rng.randrange(0, n - span)
            self.data[at:at + span] = randbytes(rng, span)
            edits.append(("overwrite", at, span))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(0, len(self.data))
            ins = rng.randbytes(rng.randint(1, 64))
            self.data[at:at] = ins
            edits.append(("insert", at, len(ins)))
        self.edits = edits
        return edits

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.data)


def small_tree(root, dirs, files_per_dir, seed=SEED_SMALL):
    """Writes dirs x files_per_dir files of 1..64 KiB random bytes; returns total bytes."""
    rng = random.Random(seed)
    total = 0
    for d in range(dirs):
        dpath = os.path.join(root, f"d{d:03d}")
        os.makedirs(dpath, exist_ok=True)
        for i in range(files_per_dir):
            size = rng.randint(1024, 64 * 1024)
            with open(os.path.join(dpath, f"f{i:03d}.bin"), "wb") as f:
                f.write(rng.randbytes(size))
            total += size
    return total


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "small":
        print(small_tree(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    elif len(sys.argv) == 5 and sys.argv[1] == "big":
        # Writes every version as OUT.vN (for inspection; bench.py generates them one by one).
        out, size, versions = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        b = BigFile(size)
        b.write(f"{out}.v1")
        for v in range(2, versions + 1):
            b.next_version()
            b.write(f"{out}.v{v}")
    else:
        sys.exit(__doc__)
