"""The local-mesh commands where no mesh runs or the input is wrong: clear
errors and exit codes, nothing left behind, and without root a message that
says root is needed."""
import os
import shutil
import subprocess
import sys
import tempfile

MESH = os.environ["MESH_BIN"]
PROFILE = f"cli{os.getpid()}"
ROOT = f"/run/mesh/up/{PROFILE}"

BROKEN = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
    timeout: forever
"""

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def mesh(*args, **kw):
    return subprocess.run([MESH, *args], capture_output=True, text=True, timeout=60, **kw)


def as_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def main():
    work = tempfile.mkdtemp(prefix="mesh-up-cli-")
    try:
        broken = os.path.join(work, "broken.yaml")
        with open(broken, "w") as f:
            f.write(BROKEN)
        r = mesh("apply", "-f", broken, "-p", PROFILE)
        check(r.returncode == 1 and "no mesh is up" in r.stderr, f"mesh apply without a mesh: exit 1 ({r.stderr.strip()})")
        r = mesh("get", "pods", "-p", PROFILE)
        check(r.returncode == 1 and "no mesh is up" in r.stderr, "mesh get without a mesh: exit 1")
        r = mesh("get", "frobnicators", "-p", PROFILE)
        check(r.returncode == 2 and "unknown resource" in r.stderr, "mesh get of an unknown resource: exit 2")
        r = mesh("logs", "nobody", "-p", PROFILE)
        check(r.returncode == 1, "mesh logs without a mesh: exit 1")
        for attempt in (1, 2):
            r = mesh("down", "-p", PROFILE)
            check(r.returncode == 0 and "no mesh is up" in r.stdout, f"mesh down with nothing up (#{attempt}): exit 0")
        r = mesh("up", "--timeout", "soon", "-f", broken, "-p", PROFILE)
        check(r.returncode == 2 and "--timeout" in r.stderr, "mesh up --timeout soon: usage error, exit 2")
        if os.geteuid() == 0:
            r = mesh("up", "-d", "-f", broken, "-p", PROFILE)
            check(r.returncode == 1 and "broken.yaml:9:" in r.stderr and "timeout" in r.stderr,
                  f"mesh up of invalid YAML: exit 1 naming file, line and field ({r.stderr.strip()[:200]})")
            check(not os.path.exists(ROOT), "mesh up of invalid YAML leaves nothing behind")
            exe = os.path.join(work, "mesh")  # a copy uid 65534 may run
            shutil.copy(MESH, exe)
            os.chmod(work, 0o755)
            os.chmod(exe, 0o755)
            r = subprocess.run([exe, "up", "-d", "-f", broken, "-p", PROFILE], capture_output=True, text=True,
                               timeout=60, preexec_fn=as_nobody)
            check(r.returncode == 1 and "needs root" in r.stderr, f"mesh up without root: exit 1 ({r.stderr.strip()})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
