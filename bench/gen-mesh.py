#!/usr/bin/env python3
"""Generates a large mesh for config-scale benchmarks.

Default shape: 1,000 services in 10 namespaces, each with two Deployments (v1,
v2) of 5 replicas (10,000 endpoints), one DestinationRule with subsets v1/v2,
one VirtualService for the mesh (header match, 90/10 split, retries, timeout)
and one VirtualService bound to a shared ingress Gateway (2,000 in all).

With --pods the replicas are written as Pods with IPs (what a running cluster
or `mesh control`'s joined sidecars provide) instead of Deployments.

Usage: gen-mesh.py [--services N] [--replicas R] [--pods] OUT.yaml
"""
import argparse


def service(name, ns):
    return f"""apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: http, port: 8080, targetPort: 8080}}
"""


def deployment(name, ns, version, replicas):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}-{version}, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}, version: {version}}}
  template:
    metadata:
      labels: {{app: {name}, version: {version}}}
    spec:
      serviceAccountName: {name}
      containers:
      - name: app
        image: example/{name}:{version}
        ports:
        - {{containerPort: 8080}}
"""


def pods(name, ns, version, replicas, first_ip):
    out = []
    for r in range(replicas):
        ip = first_ip + r
        out.append(f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}-{version}-{r}
  namespace: {ns}
  labels: {{app: {name}, version: {version}}}
spec:
  serviceAccountName: {name}
  containers:
  - name: app
    ports:
    - {{containerPort: 8080}}
status: {{podIP: 10.{ip >> 16 & 255}.{ip >> 8 & 255}.{ip & 255}}}
""")
    return out


def destination_rule(name, ns):
    return f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: {ns}}}
spec:
  host: {name}
  trafficPolicy:
    loadBalancer: {{simple: ROUND_ROBIN}}
    connectionPool:
      http: {{http1MaxPendingRequests: 100}}
  subsets:
  - name: v1
    labels: {{version: v1}}
  - name: v2
    labels: {{version: v2}}
    trafficPolicy:
      loadBalancer: {{simple: LEAST_REQUEST}}
"""


def mesh_virtual_service(name, ns, peer):
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}, namespace: {ns}}}
spec:
  hosts: [{name}]
  http:
  - name: canary
    match:
    - headers:
        x-canary: {{exact: "true"}}
    - uri: {{regex: "/v2/.*"}}
    route:
    - destination: {{host: {name}, subset: v2}}
  - name: split
    match:
    - uri: {{prefix: /api}}
    timeout: 5s
    retries: {{attempts: 3, perTryTimeout: 1s, retryOn: "5xx,connect-failure"}}
    route:
    - destination: {{host: {name}, subset: v1}}
      weight: 90
    - destination: {{host: {name}, subset: v2}}
      weight: 10
  - route:
    - destination: {{host: {name}, subset: v1}}
    mirror: {{host: {peer}}}
"""


def gateway_virtual_service(name, ns):
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}-ingress, namespace: {ns}}}
spec:
  hosts: [{name}.example.com]
  gateways: [istio-system/ingress]
  http:
  - match:
    - uri: {{prefix: /}}
    route:
    - destination: {{host: {name}.{ns}.svc.cluster.local, port: {{number: 8080}}}}
"""


GATEWAY = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*/*.example.com"]
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--replicas", type=int, default=5)
    p.add_argument("--namespaces", type=int, default=10)
    p.add_argument("--pods", action="store_true", help="Pods with IPs instead of Deployments")
    p.add_argument("out")
    a = p.parse_args()
    docs = [GATEWAY]
    for i in range(a.services):
        ns = f"ns-{i % a.namespaces}"
        name = f"svc-{i}"
        peer = f"svc-{(i + 1) % a.services}.ns-{(i + 1) % a.services % a.namespaces}.svc.cluster.local"
        docs.append(service(name, ns))
        for k, v in enumerate(("v1", "v2")):
            if a.pods:
                docs += pods(name, ns, v, a.replicas, (2 * i + k) * a.replicas + 1)
            else:
                docs.append(deployment(name, ns, v, a.replicas))
        docs.append(destination_rule(name, ns))
        docs.append(mesh_virtual_service(name, ns, peer))
        docs.append(gateway_virtual_service(name, ns))
    with open(a.out, "w") as f:
        f.write("---\n".join(docs))


if __name__ == "__main__":
    main()
