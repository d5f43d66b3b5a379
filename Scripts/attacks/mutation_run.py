"""What the mutation attacks share: run `nccmatch hash --format jsonl` on one mutated file at a time, with a time
limit and an address-space limit, and check that it answers with a hash or a specific error, never a crash.

A run passes a file when: exit status 0 or 1 (never a signal), one JSON line, and either the expected hash field
or an `error` with a code. Used by heic_mutations.py and video_mutations.py."""
import collections
import json
import resource
import subprocess


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

    def report(self, headline, extra_lines=()):
        """Prints the counts and every failure; returns the exit status (1 on any failure)."""
        print(f"{headline}: {self.outcomes['hashed']} hashed, {self.outcomes['error']} specific errors, {len(self.failures)} failures")
        for line in extra_lines:
            print(line)
        for code, count in self.codes.most_common():
            print(f"  {code}: {count}")
        for failure in self.failures:
            print("  FAIL " + failure)
        return 1 if self.failures else 0
