"""Golden-file helpers: compare, or rewrite with MESH_REGENERATE_GOLDEN=1.

A golden file that no case produces any more is stale and fails the test
(regeneration deletes it)."""
import difflib
import os
import sys

REGENERATE = os.environ.get("MESH_REGENERATE_GOLDEN") == "1"


class Golden:
    def __init__(self, directory):
        self.directory = directory
        self.seen = set()
        self.failures = []

    def check(self, name, actual):
        self.seen.add(name)
        path = os.path.join(self.directory, name)
        if REGENERATE:
            os.makedirs(self.directory, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(actual)
            return
        try:
            with open(path, encoding="utf-8") as f:
                expected = f.read()
        except FileNotFoundError:
            self.failures.append(f"{name}: golden file missing (run with MESH_REGENERATE_GOLDEN=1)")
            return
        if expected != actual:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                f"golden/{name}", "actual"))
            self.failures.append(f"{name}: differs from golden\n{diff}")

    def finish(self):
        for name in sorted(os.listdir(self.directory)):
            if name in self.seen:
                continue
            if REGENERATE:
                os.remove(os.path.join(self.directory, name))
            else:
                self.failures.append(f"{name}: stale golden file (no case produces it)")
        for f in self.failures:
            print("FAIL:", f)
        if self.failures:
            sys.exit(1)
