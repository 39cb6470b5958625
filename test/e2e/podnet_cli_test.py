#!/usr/bin/env python3
"""mesh podnet: pods get their address, hosts file and a route only to the
bridge; a run whose owner died is removed by `cleanup --stale`, namespaces,
processes and state alike. Exits 77 (skip) only without network namespaces."""
import os
import secrets
import subprocess
import sys

MESH = os.environ["MESH_BIN"]


def sh(*argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def netns_of(run_id):
    return [line.split()[0] for line in sh("ip", "netns", "list").stdout.splitlines()
            if line.startswith(f"meshpn-{run_id}-")]


def main():
    if os.geteuid() != 0:
        print("SKIP: network namespaces need root")
        return 77
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs: the run is stale from the start
    run_id = secrets.token_hex(3)
    create = sh(MESH, "podnet", "create", "--run", run_id, "--owner", str(dead.pid),
                "--pod=p1=10.244.0.2", "--pod=p2=10.244.0.3", "--host=svc=10.96.0.7", check=False)
    if create.returncode != 0 and "netns add" in create.stderr and "not permitted" in create.stderr:
        print("SKIP: cannot create network namespaces:", create.stderr.strip())
        return 77
    failures = 0
    try:
        assert create.returncode == 0, create.stderr
        names = sorted(netns_of(run_id))
        assert names == [f"meshpn-{run_id}-node", f"meshpn-{run_id}-p1", f"meshpn-{run_id}-p2"], names
        hosts = sh(MESH, "podnet", "exec", "--run", run_id, "--pod", "p1", "--", "cat", "/etc/hosts").stdout
        assert "10.96.0.7\tsvc" in hosts and "10.244.0.2\tp1" in hosts, hosts
        routes = sh("ip", "-n", f"meshpn-{run_id}-p1", "-4", "route").stdout
        assert routes.splitlines()[0].strip() == "default via 10.244.0.1 dev eth0", routes
        assert all("eth0" in line for line in routes.splitlines()), routes
        ping = sh(MESH, "podnet", "exec", "--run", run_id, "--pod", "p1", "--", "ip", "-4", "addr", "show", "eth0")
        assert "10.244.0.2/24" in ping.stdout, ping.stdout
        node_links = sh("ip", "-n", f"meshpn-{run_id}-node", "-o", "link").stdout
        assert "br0" in node_links and "v-p1" in node_links and "v-p2" in node_links, node_links
        who = sh(MESH, "podnet", "exec", "--run", run_id, "--pod", "p2", "--uid", "1337", "--gid", "1337",
                 "--", "id", "-u").stdout.strip()
        assert who == "1337", who
        sleeper = subprocess.Popen([MESH, "podnet", "exec", "--run", run_id, "--pod", "p2", "--", "sleep", "60"])
        removed = sh(MESH, "podnet", "cleanup", "--stale").stdout
        assert f"removed stale run {run_id}" in removed, removed
        assert sleeper.wait(timeout=10) != 0  # killed with its namespace
        assert netns_of(run_id) == [], netns_of(run_id)
        assert not os.path.exists(f"/run/mesh-podnet/{run_id}")
        print("ok: podnet create, exec, stale cleanup")
    except AssertionError as e:
        print("FAIL:", e)
        failures = 1
    finally:
        sh(MESH, "podnet", "cleanup", "--run", run_id, check=False)
    return failures


if __name__ == "__main__":
    sys.exit(main())
