"""mesh validate on bad input of every shape: exit 1 with FILE:LINE in the
message, never a crash, abort or sanitizer report; empty input is not an error."""
import os
import re
import subprocess
import sys
import tempfile

MESH = os.environ["MESH_BIN"]

GOOD = """apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ap, namespace: shop}
spec:
  action: ALLOW
  rules:
  - from: [{source: {namespaces: [shop]}}]
    to: [{operation: {methods: [GET], paths: [/api]}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, ports: [{containerPort: 8080}]}]}
"""


def big_document():
    head = ("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: big}\n"
            "spec:\n  rules:\n  - from:\n    - source:\n        principals:\n")
    line = "        - cluster.local/ns/default/sa/account-with-a-long-name\n"
    body = line * ((10 << 20) // len(line) + 1)
    return head + body + "    bogus: 1\n"


BAD = {
    "truncated.yaml": GOOD[: GOOD.index("rules:") + 20],
    "wrong-types.yaml": GOOD.replace("replicas: 2", "replicas: many").replace("action: ALLOW", "action: [ALLOW]"),
    "binary.yaml": b"apiVersion: v1\nkind: Pod\n\x00\x01\x02\xff",
    "invalid-utf8.yaml": b"apiVersion: v1\nkind: Pod\nmetadata: {name: \xff\xfe\n",
    "deep-flow.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: "
    + "[" * 100000 + "]" * 100000 + "\n",
    "deep-block.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n"
    + "".join(" " * d + "- \n" for d in range(1, 3000)),
    "huge-numbers.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n"
    "  - {name: http, port: 184467440737095516161844674407370955161}\n",
    "big.yaml": big_document(),
    "scalar.yaml": "just a string\n",
}

EMPTY = {
    "empty.yaml": "",
    "comments.yaml": "# nothing here\n# at all\n---\n# still nothing\n",
}


def run(*args):
    return subprocess.run([MESH, *args], capture_output=True, timeout=300)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def write(directory, name, content):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())
    return path


def main():
    with tempfile.TemporaryDirectory() as tmp:
        good = write(tmp, "good.yaml", GOOD)
        r = run("validate", "-f", good)
        check(r.returncode == 0, f"good input exits 0: {r.returncode} {r.stderr[-2000:]!r}")
        for name, content in BAD.items():
            path = write(tmp, name, content)
            r = run("validate", "-f", path)
            err = r.stderr.decode(errors="replace")
            check(r.returncode == 1, f"{name}: exit 1, got {r.returncode}: {err[-2000:]}")
            check(re.search(re.escape(path) + r":\d+:\d+: ", err), f"{name}: FILE:LINE:COL in message: {err[-2000:]}")
            check("Sanitizer" not in err and "runtime error" not in err, f"{name}: no sanitizer report: {err[-3000:]}")
        for name, content in EMPTY.items():
            path = write(tmp, name, content)
            r = run("validate", "-f", path)
            check(r.returncode == 0, f"{name}: no objects is not an error: {r.returncode} {r.stderr!r}")
            check(b"0 object(s) valid" in r.stdout, f"{name}: reports zero objects: {r.stdout!r}")
        # A directory mixing all shapes still reports every bad file.
        r = run("validate", "-f", tmp)
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 1, f"directory: exit 1, got {r.returncode}")
        for name in BAD:
            check(os.path.join(tmp, name) + ":" in err, f"directory: {name} reported")
    print("ok")


if __name__ == "__main__":
    main()
