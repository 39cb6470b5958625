"""`mesh inject` through the binary: invalid input fails with file and line,
exit 1, and writes nothing (not even a partial -o file)."""
import os
import subprocess
import sys
import tempfile

MESH = os.environ["MESH_BIN"]

GOOD = """apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
  - {name: app, image: x}
"""

# (input, text the error must contain)
INVALID = [
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n", ":4:1: "),
    ("a: 1\n---\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: 5}}}\n",
     ":5:"),
    ("kind: Deployment\nmetadata: {name: d}\nspec: {}\n", "Deployment/default/d: spec.template: required"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: x\n",
     ":5:5: Pod/default/p: spec.containers[0].name: required field is missing"),
    ("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    traffic.sidecar.istio.io/includeInboundPorts: 80,x\n"
     "spec: {containers: [{name: a}]}\n",
     ":5:51: Pod/default/p: metadata.annotations[traffic.sidecar.istio.io/includeInboundPorts]: invalid port \"x\""),
    ("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    traffic.sidecar.istio.io/excludeOutboundIPRanges: 10.0.0.0/40\n"
     "spec: {containers: [{name: a}]}\n", "invalid CIDR \"10.0.0.0/40\""),
    ("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    sidecar.istio.io/proxyCPU: lots\n"
     "spec: {containers: [{name: a}]}\n", "invalid resource quantity \"lots\""),
    ("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    sidecar.istio.io/logLevel: loud\n"
     "spec: {containers: [{name: a}]}\n", "unknown log level \"loud\""),
    ("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    proxy.istio.io/config: 'holdApplicationUntilProxyStarts: maybe'\n"
     "spec: {containers: [{name: a}]}\n", "holdApplicationUntilProxyStarts: expected true or false"),
    ("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    proxy.istio.io/config: '[unclosed'\n"
     "spec: {containers: [{name: a}]}\n", "proxy.istio.io/config]: not valid YAML"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: istio-proxy\n",
     "\"istio-proxy\" is reserved"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}]\n  volumes:\n  - name: istio-token\n",
     "spec.volumes[0].name: \"istio-token\" is reserved"),
    ("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": []}}\n",
     "spec.containers: must not be empty"),
    ("kind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n  spec: {containers: {}}\n",
     "Pod/default/p: items[0].spec.containers: expected a list"),
]


def run(*args, stdin=None):
    return subprocess.run([MESH, "inject", *args], input=stdin, capture_output=True, text=True, timeout=30)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.yaml")
        for i, (text, message) in enumerate(INVALID):
            path = os.path.join(tmp, f"bad{i}.yaml")
            with open(path, "w") as f:
                f.write(text)
            with open(out, "w") as f:
                f.write("previous\n")
            r = run("-f", path, "-o", out)
            check(r.returncode == 1, f"case {i}: exit 1, got {r.returncode}: {r.stderr}")
            check(r.stderr.startswith(path + ":") and message in r.stderr,
                  f"case {i}: want {path}:... containing {message!r}, got {r.stderr!r}")
            check(open(out).read() == "previous\n", f"case {i}: -o file untouched")
            check(sorted(os.listdir(tmp)) == sorted([f"bad{j}.yaml" for j in range(i + 1)] + ["out.yaml"]),
                  f"case {i}: no temporary file left: {os.listdir(tmp)}")
        r = run("-f", "-", stdin=INVALID[0][0])
        check(r.returncode == 1 and r.stderr.startswith("<stdin>:4:1: ") and r.stdout == "",
              f"stdin errors say <stdin> and print nothing: {r.stderr!r} {r.stdout!r}")

        new_out = os.path.join(tmp, "new.yaml")
        r = run("-f", "-", "-o", new_out, "--image", "img:1", stdin=GOOD)
        check(r.returncode == 0 and r.stdout == "", f"-o writes the file, not stdout: {r.stderr}")
        text = open(new_out).read()
        check("image: img:1" in text and "name: istio-proxy" in text, "injected output in the -o file")
        r = run("-f", new_out, "--image", "img:1")
        check(r.returncode == 0 and r.stdout == text, "injecting the -o file again changes nothing")

        r = run("-f", os.path.join(tmp, "missing.yaml"))
        check(r.returncode == 1 and "No such file" in r.stderr, f"missing file: {r.stderr}")
        r = run()
        check(r.returncode == 2, f"usage error exits 2: {r.returncode}")
        r = run("-f", "-", "-o", os.path.join(tmp, "no-such-dir", "x.yaml"), stdin=GOOD)
        check(r.returncode == 1 and "no-such-dir" in r.stderr, f"unwritable output: {r.stderr}")
    print("ok")


if __name__ == "__main__":
    main()
