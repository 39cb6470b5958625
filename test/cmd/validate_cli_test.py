"""mesh validate: exit codes and messages through the real binary."""
import os
import subprocess
import sys
import tempfile

MESH = os.environ["MESH_BIN"]


def run(*args, stdin=None):
    return subprocess.run([MESH, *args], input=stdin, capture_output=True, text=True, timeout=60)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good.yaml")
        with open(good, "w") as f:
            f.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
        r = run("validate", "-f", good)
        check(r.returncode == 0, f"valid file exits 0: {r.returncode} {r.stderr}")
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("apiVersion: v1\nkind: Namespace\nmetadata: {name: [x\n")
        r = run("validate", "-f", bad)
        check(r.returncode == 1, f"invalid file exits 1: {r.returncode}")
        check(bad + ":" in r.stderr, f"error names the file: {r.stderr}")
        r = run("validate", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n")
        check(r.returncode == 0, f"stdin works: {r.stderr}")
        empty = os.path.join(tmp, "empty.yaml")
        with open(empty, "w") as f:
            f.write("# nothing here yet\n---\n")
        r = run("validate", "-f", empty)
        check(r.returncode == 0, f"comment-only file exits 0: {r.returncode} {r.stderr}")
        check(f"{empty}: warning: no objects found" in r.stderr, f"comment-only file warns: {r.stderr}")
        r = run("validate", "-f", empty, good)
        check(r.returncode == 0 and r.stderr.count("no objects found") == 1, f"only the empty file warns: {r.stderr}")
        r = run("validate", "-f", os.path.join(tmp, "missing.yaml"))
        check(r.returncode == 1 and "no such file" in r.stderr, f"missing file: {r.stderr}")
        r = run("validate")
        check(r.returncode == 2, f"usage error exits 2: {r.returncode}")
        r = run("version")
        check(r.returncode == 0 and r.stdout.startswith("mesh version"), "version prints")
    print("ok")


if __name__ == "__main__":
    main()
