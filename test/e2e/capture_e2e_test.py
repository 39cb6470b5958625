#!/usr/bin/env python3
"""End-to-end capture test in a pod network (network namespaces, as root).

Pods a, b-v1, b-v2 each run an app and `mesh proxy sidecar` (uid 1337) behind
`mesh iptables`; pod x runs an app the mesh does not know. Proves: a's call to
http://b:9080/ goes a -> a's sidecar (outbound) -> b's sidecar (inbound) -> b
(both proxies' stats); a header steers it to v2; an excluded port and uid 1337
traffic bypass capture; ALLOW_ANY passes unknown destinations through and
REGISTRY_ONLY refuses them; app probes on 15020; sidecars drain and exit 0.
Exits 77 (skip) only when network namespaces cannot be created.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MESH = os.environ["MESH_BIN"]
HERE = os.path.join(os.environ["MESH_SOURCE_ROOT"], "test", "e2e")
PODS = {"a": "10.244.0.2", "b-v1": "10.244.0.3", "b-v2": "10.244.0.4", "x": "10.244.0.5"}
SIDECARS = ["a", "b-v1", "b-v2"]
PROXY_UID = 1337
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PROBERS = {
    "/app-health/b/readyz": {"httpGet": {"path": "/ready", "port": 9080}},
    "/app-health/b/startupz": {"httpGet": {"path": "/", "port": 9999}, "timeoutSeconds": 1},
}


class Failure(Exception):
    pass


class PodNet:
    def __init__(self, work):
        self.work = work
        self.run_id = secrets.token_hex(3)
        self.mesh = os.path.join(work, "mesh")  # a copy uid 1337 can execute
        self.app = os.path.join(work, "podapp.py")
        self.config = os.path.join(work, "config")
        self.procs = {}

    def exec_argv(self, pod, argv, uid=0):
        return [self.mesh, "podnet", "exec", "--run", self.run_id, "--pod", pod,
                "--uid", str(uid), "--gid", str(uid), "--", *argv]

    def run(self, pod, argv, uid=0):
        return subprocess.run(self.exec_argv(pod, argv, uid), capture_output=True, text=True, timeout=30)

    def start(self, name, pod, argv, uid=0, env=None):
        log = open(os.path.join(self.work, name + ".log"), "w")
        self.procs[name] = subprocess.Popen(self.exec_argv(pod, argv, uid), stdout=log, stderr=log,
                                            env={**os.environ, **(env or {})})
        log.close()

    def log(self, name):
        with open(os.path.join(self.work, name + ".log")) as f:
            return f.read()

    def get(self, pod, url, *headers, uid=0):
        r = self.run(pod, [PYTHON, self.app, "get", url, *headers], uid)
        return r.returncode, r.stdout.strip() + r.stderr.strip()

    def stats(self, pod):
        code, out = self.get(pod, "http://127.0.0.1:15000/stats")
        if code != 0 or not out.startswith("200"):
            raise Failure(f"stats of {pod}: {out}")
        values = {}
        for line in out[4:].splitlines():
            name, _, value = line.rpartition(": ")
            values[name.strip()] = int(value)
        return values


def poll(what, fn, deadline_s=20):
    end = time.monotonic() + deadline_s
    while True:
        result = fn()
        if result:
            return result
        if time.monotonic() > end:
            raise Failure("timed out waiting for " + what)
        time.sleep(0.05)  # polling interval, bounded by the deadline


def expect(cond, message):
    if not cond:
        raise Failure(message)
    print("ok:", message)


def delta(before, after, name):
    return after.get(name, 0) - before.get(name, 0)


def set_up(net):
    shutil.copy(MESH, net.mesh)
    shutil.copy(os.path.join(HERE, "podapp.py"), net.app)
    os.makedirs(net.config)
    shutil.copy(os.path.join(HERE, "mesh.yaml"), net.config)
    for path in [net.work, net.config]:
        os.chmod(path, 0o755)
    for path in [net.mesh, net.app, os.path.join(net.config, "mesh.yaml")]:
        os.chmod(path, 0o755)
    capture = ["iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-g", "1337", "-m", "REDIRECT",
               "-i", "*", "-x", "", "-b", "*"]
    for pod in SIDECARS:
        excluded = ["-d", "15090,15021,15020", "-o", "9091"] if pod == "a" else ["-d", "15090,15021,15020,9091"]
        r = net.run(pod, [net.mesh, *capture, *excluded])
        if r.returncode != 0:
            raise Failure(f"mesh iptables in {pod}: {r.stderr}")
    net.start("app-b-v1", "b-v1", [PYTHON, net.app, "serve", "b-v1", "9080", "9091"])
    net.start("app-b-v2", "b-v2", [PYTHON, net.app, "serve", "b-v2", "9080"])
    net.start("app-x", "x", [PYTHON, net.app, "serve", "x", "7070"])
    for pod in SIDECARS:
        env = {"POD_NAME": pod, "POD_NAMESPACE": "default", "INSTANCE_IP": PODS[pod]}
        if pod == "b-v1":
            env["ISTIO_KUBE_APP_PROBERS"] = json.dumps(PROBERS)
        net.start("sidecar-" + pod, pod, [net.mesh, "proxy", "sidecar", "--control", "unused:15010", "-c",
                                          net.config, "--concurrency", "1", "--drain-seconds", "2"],
                  uid=PROXY_UID, env=env)
    for pod in SIDECARS:
        r = net.run(pod, [net.mesh, "proxy", "wait", "--timeout-seconds", "30", "--period-millis", "50"])
        if r.returncode != 0:
            raise Failure(f"sidecar of {pod} never ready: {r.stderr}\n{net.log('sidecar-' + pod)}")
    for pod, port in [("b-v1", 9080), ("b-v2", 9080), ("x", 7070)]:
        poll(f"app in {pod}", lambda: net.get(pod, f"http://127.0.0.1:{port}/")[0] == 0)


def check_service_call(net):
    before = {p: net.stats(p) for p in SIDECARS}
    code, out = net.get("a", "http://b:9080/")
    expect(code == 0 and out.startswith("200 b-v1 9080 /"), f"a -> http://b:9080/ reaches b-v1 ({out})")
    after = {p: net.stats(p) for p in SIDECARS}
    expect(delta(before["a"], after["a"], "listener.virtualOutbound.http_cx_total") == 1,
           "a's sidecar routed it as HTTP from its outbound capture listener")
    expect(delta(before["a"], after["a"], "http.ingress.upstream_rq_total") == 1, "a's sidecar forwarded one request")
    expect(delta(before["b-v1"], after["b-v1"], "listener.virtualInbound.inbound_cluster_cx_total") == 1,
           "b-v1's sidecar delivered it from its inbound capture listener to the app")
    expect(delta(before["b-v2"], after["b-v2"], "listener.virtualInbound.downstream_cx_total") == 0,
           "b-v2's sidecar saw nothing")
    code, out = net.get("a", "http://b:9080/v2", "x-version:v2")
    expect(code == 0 and out.startswith("200 b-v2 9080 /v2"), f"header x-version: v2 steers to b-v2 ({out})")
    again = {p: net.stats(p) for p in SIDECARS}
    expect(delta(after["b-v2"], again["b-v2"], "listener.virtualInbound.inbound_cluster_cx_total") == 1,
           "b-v2's sidecar delivered the steered request")


def check_bypass(net):
    before = {p: net.stats(p) for p in ["a", "b-v1"]}
    code, out = net.get("a", f"http://{PODS['b-v1']}:9091/")
    expect(code == 0 and out.startswith("200 b-v1 9091"), f"excluded port 9091 is reachable ({out})")
    mid = {p: net.stats(p) for p in ["a", "b-v1"]}
    expect(delta(before["a"], mid["a"], "listener.virtualOutbound.downstream_cx_total") == 0,
           "excluded outbound port bypassed a's sidecar")
    expect(delta(before["b-v1"], mid["b-v1"], "listener.virtualInbound.downstream_cx_total") == 0,
           "excluded inbound port bypassed b-v1's sidecar")
    code, out = net.get("a", f"http://{PODS['b-v1']}:9080/", uid=PROXY_UID)
    expect(code == 0 and out.startswith("200 b-v1 9080"), f"uid 1337 reaches b-v1 directly ({out})")
    after = {p: net.stats(p) for p in ["a", "b-v1"]}
    expect(delta(mid["a"], after["a"], "listener.virtualOutbound.downstream_cx_total") == 0,
           "uid 1337 traffic bypassed a's outbound capture")
    expect(delta(mid["b-v1"], after["b-v1"], "listener.virtualInbound.downstream_cx_total") == 1,
           "b-v1 still captured it inbound")


def check_probes(net):
    code, out = net.get("b-v1", "http://127.0.0.1:15020/app-health/b/readyz")
    expect(code == 0 and out.startswith("200"), f"readiness probe through 15020 answers 200 ({out})")
    code, out = net.get("b-v1", "http://127.0.0.1:15020/app-health/b/startupz")
    expect(code == 0 and out.startswith("500"), f"a probe of a closed port answers 500 ({out})")
    code, out = net.get("b-v1", "http://127.0.0.1:15020/app-health/b/livez")
    expect(code == 0 and out.startswith("404"), f"an unknown probe path answers 404 ({out})")


def check_outbound_policy(net):
    before = net.stats("a")
    code, out = net.get("a", f"http://{PODS['x']}:7070/")
    expect(code == 0 and out.startswith("200 x 7070"), f"ALLOW_ANY passes an unknown destination through ({out})")
    expect(delta(before, net.stats("a"), "cluster.PassthroughCluster.upstream_cx_total") == 1,
           "a's sidecar counted it in PassthroughCluster")
    shutil.copy(os.path.join(HERE, "registry-only.yaml"), net.config)
    os.chmod(os.path.join(net.config, "registry-only.yaml"), 0o644)
    net.procs["sidecar-a"].send_signal(signal.SIGHUP)
    before = net.stats("a")
    code, out = poll("REGISTRY_ONLY to refuse x", lambda: (lambda r: r if r[0] == 3 else None)(
        net.get("a", f"http://{PODS['x']}:7070/")))
    expect(code == 3, f"REGISTRY_ONLY refuses the unknown destination ({out})")
    expect(delta(before, net.stats("a"), "cluster.BlackHoleCluster.upstream_cx_total") >= 1,
           "a's sidecar counted it in BlackHoleCluster")
    code, out = net.get("a", "http://b:9080/")
    expect(code == 0 and out.startswith("200 b-v1"), f"services in the registry still work ({out})")


def stop_sidecars(net):
    for pod in SIDECARS:
        net.procs["sidecar-" + pod].send_signal(signal.SIGTERM)
    for pod in SIDECARS:
        rc = net.procs["sidecar-" + pod].wait(timeout=20)
        expect(rc == 0, f"sidecar of {pod} drained and exited 0 (rc {rc})" +
               ("" if rc == 0 else "\n" + net.log("sidecar-" + pod)))


def tear_down(net):
    for p in net.procs.values():
        if p.poll() is None:
            p.kill()  # our own child, by pid
            p.wait()
    subprocess.run([MESH, "podnet", "cleanup", "--run", net.run_id], capture_output=True)


def main():
    if os.geteuid() != 0:
        print("SKIP: network namespaces need root")
        return 77
    subprocess.run([MESH, "podnet", "cleanup", "--stale"], check=True)
    work = tempfile.mkdtemp(prefix="mesh-e2e-")
    net = PodNet(work)
    pods = [f"--pod={name}={ip}" for name, ip in PODS.items()]
    create = subprocess.run([MESH, "podnet", "create", "--run", net.run_id, "--owner", str(os.getpid()),
                             *pods, "--host=b=10.96.0.10", "--host=b.default.svc.cluster.local=10.96.0.10"],
                            capture_output=True, text=True)
    try:
        if create.returncode != 0:
            if "netns add" in create.stderr and ("denied" in create.stderr or "not permitted" in create.stderr):
                print("SKIP: cannot create network namespaces:", create.stderr.strip())
                return 77
            raise Failure("mesh podnet create: " + create.stderr)
        started = time.monotonic()
        set_up(net)
        check_service_call(net)
        check_bypass(net)
        check_probes(net)
        check_outbound_policy(net)
        stop_sidecars(net)
        print(f"capture e2e passed in {time.monotonic() - started:.1f} s")
        return 0
    except (Failure, subprocess.TimeoutExpired) as e:
        print("FAIL:", e)
        for name in net.procs:
            print(f"--- {name} log ---\n{net.log(name)}")
        return 1
    finally:
        tear_down(net)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
