"""What the mutation attacks share: run `nccmatch hash --format jsonl` on one mutated file at a time, with a time
limit and an address-space limit, and check that it answers with a hash or a specific error, never a crash.

A run passes a file when: exit status 0 or 1 (never a signal), one JSON line, and either the expected hash field
or an `error` with a code. Also the mutation steps the formats share (blind ones, HEIF-family boxes). Used by
heic_mutations.py, image_mutations.py and video_mutations.py."""
import collections
import json
import pathlib
import resource
import subprocess
import tempfile


class MutationRun:
    """Counts outcomes, error codes and failures over the files checked."""

    def __init__(self, nccmatch, timeout, memory_mb, hash_field):
        self.nccmatch = nccmatch
        self.timeout = timeout
        self.memory_bytes = memory_mb << 20
        self.hash_field = hash_field
        self.outcomes = collections.Counter()
        self.codes = collections.Counter()
        self.failures = []

    def _limit(self):
        resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))

    def check(self, path, label, extra=()):
        """Hashes `path` and records what came back."""
        try:
            run = subprocess.run([self.nccmatch, "hash", "--format", "jsonl", "--jobs", "1", *extra, str(path)],
                                 capture_output=True, text=True, timeout=self.timeout, preexec_fn=self._limit)
        except subprocess.TimeoutExpired:
            self.failures.append(f"{label}: no answer within {self.timeout} s")
            return
        if run.returncode not in (0, 1):
            self.failures.append(f"{label}: exit status {run.returncode} (signal {-run.returncode if run.returncode < 0 else '-'})")
            return
        lines = run.stdout.strip().splitlines()
        try:
            record = json.loads(lines[0]) if len(lines) == 1 else None
        except json.JSONDecodeError:
            record = None
        if record is None:
            self.failures.append(f"{label}: not one JSON line: {run.stdout[:200]!r}")
        elif self.hash_field in record:
            self.outcomes["hashed"] += 1
        elif "error" in record and record["error"].get("code"):
            self.outcomes["error"] += 1
            self.codes[record["error"]["code"]] += 1
        else:
            self.failures.append(f"{label}: neither {self.hash_field} nor error: {run.stdout[:200]!r}")

    def mutate_all(self, sources, mutate, count, rng, suffix, modes=None):
        """Makes `count` mutated files, one at a time in a temporary folder (removed after each check): a source
        drawn from `sources`, then `mutate(bytes, rng)` -> (kind, bytes); checks each, with `--mode` taken in turn
        from `modes` when given. Returns how many of each kind were made."""
        kinds = collections.Counter()
        with tempfile.TemporaryDirectory(prefix=f"nccmatch-{suffix}-mutations-") as folder:
            for n in range(count):
                source = rng.choice(sources)
                kind, data = mutate(source.read_bytes(), rng)
                kinds[kind] += 1
                path = pathlib.Path(folder) / f"m{n:04d}.{suffix}"
                path.write_bytes(data)
                extra = ["--mode", modes[n % len(modes)]] if modes else []
                self.check(path, f"#{n} {kind} of {source.name}" + (f" ({extra[1]})" if extra else ""), extra)
                path.unlink()
        return kinds

    def report(self, headline, kinds=None):
        """Prints the counts (and the mutations made, `kinds` from `mutate_all`) and every failure; returns the
        exit status (1 on any failure)."""
        print(f"{headline}: {self.outcomes['hashed']} hashed, {self.outcomes['error']} specific errors, {len(self.failures)} failures")
        if kinds:
            print("  mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        for code, count in self.codes.most_common():
            print(f"  {code}: {count}")
        for failure in self.failures:
            print("  FAIL " + failure)
        return 1 if self.failures else 0


BLIND_KINDS = ["bitflips", "overwrite", "truncate"]
"""The mutations every format gets (`blind`)."""

VALUES = [0, 1, 2, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]
"""Field values that break size arithmetic, besides a random 32-bit one (`field_value`)."""


def field_value(rng):
    """A value to write into a size, count or offset field (two draws from `rng`, always)."""
    return rng.choice(VALUES + [rng.randrange(1 << 32)])


def blind(b, rng, kind, flips=(1, 10, 100), runs=(4, 64, 1024)):
    """Applies one of BLIND_KINDS to the bytearray `b`: bit flips (a count from `flips`), a run of random bytes
    (a length from `runs`) or a truncation. Returns the mutated bytes."""
    if kind == "bitflips":
        for _ in range(rng.choice(flips)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "overwrite":
        start = rng.randrange(len(b))
        length = rng.choice(runs)
        b[start:start + length] = bytes(rng.randrange(256) for _ in range(min(length, len(b) - start)))
    elif kind == "truncate":
        del b[rng.randrange(1, len(b)):]
    return b


ISOBMFF_KINDS = ["box_size", "count", "extent", "ispe", "meta_noise"]
"""The mutations of a HEIF-family file's boxes (`isobmff`)."""


def isobmff(b, rng, kind, value, boxes, counts):
    """Applies one of ISOBMFF_KINDS to the bytearray `b` of a HEIF-family file (HEIC, AVIF): writes `value` into
    the size of one of `boxes`, the entry count of one of `counts` (box type -> offset of its 16-bit count from
    the type), an iloc extent offset or length, or an ispe width or height, or replaces 256 bytes of the meta box
    with noise. Returns the mutated bytes."""
    if kind in ("box_size", "count"):
        box = rng.choice(boxes if kind == "box_size" else list(counts))
        at = b.find(box)
        if at >= 4:
            offset = at - 4 if kind == "box_size" else at + counts[box] - 4
            width = 4 if kind == "box_size" else 2
            b[offset:offset + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
    elif kind == "extent":
        at = b.find(b"iloc")
        if at >= 0:  # somewhere in the entries: an offset or a length
            offset = at + 12 + 4 * rng.randrange(1, 12)
            b[offset:offset + 4] = value.to_bytes(4, "big")
    elif kind == "ispe":
        at = b.find(b"ispe")
        if at >= 0:
            offset = at + 8 + rng.choice([0, 4])
            b[offset:offset + 4] = value.to_bytes(4, "big")
    elif kind == "meta_noise":
        at = max(b.find(b"meta"), 0)
        b[at + 8:at + 264] = bytes(rng.randrange(256) for _ in range(min(256, len(b) - at - 8)))
    return b


def heif_mutation(data, rng, kinds, boxes, counts, own):
    """One mutation of a HEIF-family file: a kind drawn from `kinds` (BLIND_KINDS, ISOBMFF_KINDS and the format's
    own, in the order given), a field value, then `blind`, `isobmff`, or `own[kind](b, rng, value)` for the
    format's own kinds. Returns (kind, mutated bytes)."""
    b = bytearray(data)
    kind = rng.choice(kinds)
    value = field_value(rng)
    if kind in BLIND_KINDS:
        blind(b, rng, kind)
    elif kind in ISOBMFF_KINDS:
        isobmff(b, rng, kind, value, boxes, counts)
    else:
        own[kind](b, rng, value)
    return kind, bytes(b)
