"""`mesh inject` over test/fixtures/inject, compared with test/golden/inject.
Every case is also injected a second time: the result must not change."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from golden import Golden  # noqa: E402

MESH = os.environ["MESH_BIN"]
ROOT = os.environ["MESH_SOURCE_ROOT"]
FIXTURES = os.path.join(ROOT, "test", "fixtures", "inject")
GOLDEN = os.path.join(ROOT, "test", "golden", "inject")
COMMON = ["--image", "registry.example.com/mesh:test", "--control", "mesh-control.mesh-system.svc:15012"]

# golden name -> (fixture, extra flags). Each fixture appears at least once.
CASES = {
    "pod": ("pod.yaml", []),
    "deployment": ("deployment.yaml", []),
    "deployment-native-sidecar": ("deployment.yaml", ["--native-sidecar"]),
    "statefulset": ("statefulset.yaml", []),
    "daemonset": ("daemonset.yaml", []),
    "replicaset": ("replicaset.yaml", []),
    "replicationcontroller": ("replicationcontroller.yaml", []),
    "job": ("job.yaml", []),
    "cronjob": ("cronjob.yaml", []),
    "list": ("list.yaml", []),
    "multi-doc": ("multi-doc.yaml", []),
    "json-input": ("json-input.json", []),
    "annotations-traffic": ("annotations-traffic.yaml", []),
    "annotations-proxy": ("annotations-proxy.yaml", []),
    "hold-application": ("hold-application.yaml", []),
    "hold-application-native-sidecar": ("hold-application.yaml", ["--native-sidecar"]),
    "skipped": ("skipped.yaml", []),
    "prometheus": ("prometheus.yaml", []),
}


def inject(args, stdin=None):
    return subprocess.run([MESH, "inject", *COMMON, *args], input=stdin, capture_output=True, text=True,
                          timeout=30)


def main():
    golden = Golden(GOLDEN)
    used = set()
    for name, (fixture, flags) in CASES.items():
        used.add(fixture)
        path = os.path.join(FIXTURES, fixture)
        r = inject(["-f", path, *flags])
        if r.returncode != 0:
            golden.failures.append(f"{name}: exit {r.returncode}: {r.stderr}")
            continue
        golden.check(name + ".yaml", r.stdout)
        # Warnings name the fixture relative to the source tree, so goldens are portable.
        if r.stderr:
            golden.check(name + ".stderr", r.stderr.replace(ROOT + "/", ""))
        again = inject(["-f", "-", *flags], stdin=r.stdout)
        if again.returncode != 0 or again.stdout != r.stdout:
            golden.failures.append(f"{name}: injecting the output again changed it (exit {again.returncode})")
    for fixture in sorted(set(os.listdir(FIXTURES)) - used):
        golden.failures.append(f"fixture {fixture} is not used by any case")
    golden.finish()
    print("ok")


if __name__ == "__main__":
    main()
