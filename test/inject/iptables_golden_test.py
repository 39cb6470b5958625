"""`mesh iptables --dry-run` output for the defaults and for every flag,
compared with test/golden/iptables/NAME.txt."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from golden import Golden  # noqa: E402

MESH = os.environ["MESH_BIN"]
GOLDEN = os.path.join(os.environ["MESH_SOURCE_ROOT"], "test", "golden", "iptables")

CASES = {
    "defaults": [],
    "istio-init-args": ["-p", "15001", "-z", "15006", "-u", "1337", "-g", "1337", "-m", "REDIRECT", "-i", "*",
                        "-x", "", "-b", "*", "-d", "15090,15021,15020", "-o", "", "-q", ""],
    "outbound-port": ["-p", "16001"],
    "inbound-capture-port": ["--inbound-capture-port", "16006"],
    "proxy-uid-gid": ["-u", "1000,1001", "-g", "2000"],
    "include-cidrs": ["-i", "10.96.0.0/12,192.168.1.7,fd00:10:96::/112"],
    "include-none": ["-i", ""],
    "include-loopback": ["-i", "127.0.0.0/8"],
    "exclude-cidrs": ["-x", "169.254.169.254/32,10.0.0.1/8,2001:db8::/32"],
    "inbound-ports": ["-b", "8080,9090"],
    "inbound-none": ["-b", ""],
    "exclude-inbound-ports": ["-d", "22,15020"],
    "exclude-outbound-ports": ["-o", "5432,6379"],
    "include-outbound-ports": ["-i", "", "-q", "3306"],
    "long-flags": ["--envoy-port", "15001", "--proxy-uid", "1337", "--proxy-gid", "1337",
                   "--istio-inbound-interception-mode", "REDIRECT", "--istio-service-cidr", "10.0.0.0/8",
                   "--istio-service-exclude-cidr", "10.0.0.10/32", "--istio-inbound-ports", "80",
                   "--istio-local-exclude-ports", "15090", "--istio-local-outbound-ports-exclude", "25",
                   "--istio-outbound-ports", "443"],
    "redirect-dns": ["--redirect-dns", "-o", "8125"],
    "dns-capture-port": ["--redirect-dns", "--dns-capture-port", "5353"],
    "no-ipv6": ["--no-ipv6"],
    "cleanup": ["--cleanup"],
}

# Bad flags: exit 2 and a message naming the flag and the value.
INVALID = [
    (["-p", "0"], "-p/--envoy-port: invalid port \"0\""),
    (["-z", "70000"], "-z/--inbound-capture-port: invalid port \"70000\""),
    (["-b", "80,http"], "-b/--istio-inbound-ports: invalid port \"http\""),
    (["-d", "80,"], "-d/--istio-local-exclude-ports: empty element"),
    (["-i", "10.0.0.0/33"], "-i/--istio-service-cidr: invalid CIDR \"10.0.0.0/33\""),
    (["-i", "10.0.0.300/8"], "invalid CIDR \"10.0.0.300/8\""),
    (["-x", "*"], "-x/--istio-service-exclude-cidr: \"*\" is not allowed"),
    (["-x", "fd00::/129"], "invalid CIDR \"fd00::/129\""),
    (["-u", "root"], "-u/--proxy-uid: invalid user/group id \"root\""),
    (["-m", "TPROXY"], "unsupported mode \"TPROXY\""),
    (["-o", "-1"], "-o/--istio-local-outbound-ports-exclude: invalid port"),
]


def main():
    golden = Golden(GOLDEN)
    failures = []
    for name, args in CASES.items():
        r = subprocess.run([MESH, "iptables", "--dry-run", *args], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            failures.append(f"{name}: exit {r.returncode}: {r.stderr}")
            continue
        golden.check(name + ".txt", r.stdout)
    for args, message in INVALID:
        r = subprocess.run([MESH, "iptables", "--dry-run", *args], capture_output=True, text=True, timeout=30)
        if r.returncode != 2 or message not in r.stderr or r.stdout:
            failures.append(f"{args}: want exit 2 and {message!r}, got {r.returncode} {r.stderr!r}")
    golden.failures += failures
    golden.finish()
    print("ok")


if __name__ == "__main__":
    main()
