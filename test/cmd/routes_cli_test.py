"""mesh routes: the table, JSON and YAML outputs, proxy selection and errors, through the real binary."""
import json
import os
import subprocess
import sys
import tempfile

MESH = os.environ["MESH_BIN"]
SAMPLES = os.path.join(os.environ["MESH_SOURCE_ROOT"], "samples", "bookinfo")


def sample(name):
    return os.path.join(SAMPLES, name)


def run(*args):
    return subprocess.run([MESH, "routes", *args], capture_output=True, text=True, timeout=60)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def table_rows(stdout):
    return [line.split() for line in stdout.splitlines()]


def main():
    base = ["-f", sample("bookinfo.yaml")]
    r = run(*base)
    check(r.returncode == 0, f"bookinfo routes exit 0: {r.returncode} {r.stderr}")
    lines = r.stdout.splitlines()
    check(lines[0].split() == ["NAME", "VHOST", "NAME", "DOMAINS", "MATCH", "VIRTUAL", "SERVICE"], lines[0])
    check(any(l.startswith("9080") and "reviews.default.svc.cluster.local:9080" in l and
              "reviews, reviews.default + 1 more..." in l and "/*" in l for l in lines), r.stdout)

    r = run(*base, "-f", sample("destination-rule-all.yaml"), "-f", sample("virtual-service-reviews-test-v2.yaml"),
            "--workload", "default/productpage-v1", "-o", "json")
    check(r.returncode == 0, f"json exit 0: {r.stderr}")
    cfg = json.loads(r.stdout)
    check(cfg["proxy"]["labels"] == {"app": "productpage", "version": "v1"}, cfg["proxy"])
    check(cfg["proxy"]["serviceAccount"] == "bookinfo-productpage", cfg["proxy"])
    table = next(t for t in cfg["routeTables"] if t["name"] == "9080")
    vhost = next(v for v in table["virtualHosts"] if v["name"] == "reviews.default.svc.cluster.local:9080")
    check(len(vhost["routes"]) == 2, vhost)
    jason = vhost["routes"][0]
    check(jason["virtualService"] == "reviews.default", jason)
    check(jason["matches"][0]["headers"][0]["match"] == {"kind": "exact", "value": "jason"}, jason)
    check(jason["action"]["forward"]["clusters"][0]["cluster"] ==
          "outbound|9080|v2|reviews.default.svc.cluster.local", jason)
    names = {c["name"] for c in cfg["clusters"]}
    check("outbound|9080|v3|reviews.default.svc.cluster.local" in names, names)

    r = run(*base, "-f", sample("bookinfo-gateway.yaml"), "--gateway", "istio-system/istio-ingressgateway")
    check(r.returncode == 0, f"gateway exit 0: {r.stderr}")
    rows = [row for row in table_rows(r.stdout)[1:]]
    matches = [row[3] for row in rows if row[0] == "http.8080"]
    check(matches == ["/productpage", "/static*", "/login", "/logout", "/api/v1/products*"], r.stdout)
    check(all(row[-1] == "bookinfo.default" for row in rows), r.stdout)

    r = run(*base, "-o", "yaml")
    check(r.returncode == 0 and "routeTables:" in r.stdout and "- name: \"9080\"" in r.stdout, r.stdout[:300])

    r = run(*base, "--workload", "default/nope")
    check(r.returncode == 1 and "no workload default/nope" in r.stderr, f"unknown workload: {r.stderr}")
    r = run(*base, "--workload", "a/b", "--gateway", "c/d")
    check(r.returncode == 2, f"--workload with --gateway is a usage error: {r.returncode}")
    r = run(*base, "-o", "xml")
    check(r.returncode == 2, f"bad output format: {r.returncode}")
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("apiVersion: v1\nkind: Service\nmetadata: {name: [x\n")
        r = run("-f", bad)
        check(r.returncode == 1 and bad + ":" in r.stderr, f"bad input exits 1 naming the file: {r.stderr}")
    print("ok")


if __name__ == "__main__":
    main()
