"""mesh routes --explain: the Bookinfo traffic-management tutorial steps through the real binary."""
import json
import os
import subprocess
import sys

MESH = os.environ["MESH_BIN"]
SAMPLES = os.path.join(os.environ["MESH_SOURCE_ROOT"], "samples", "bookinfo")
REVIEWS = "http://reviews:9080/reviews/0"


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def explain(steps, request, *extra, user=None, output="json", want_exit=0):
    args = [MESH, "routes", "-f", os.path.join(SAMPLES, "bookinfo.yaml"),
            "-f", os.path.join(SAMPLES, "destination-rule-all.yaml")]
    for step in steps:
        args += ["-f", os.path.join(SAMPLES, step)]
    args += ["--explain", request, *extra]
    if user:
        args += ["-H", f"end-user: {user}"]
    if output:
        args += ["-o", output]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    check(r.returncode == want_exit, f"{' '.join(args[1:])}: exit {r.returncode}, want {want_exit}: {r.stderr}")
    return json.loads(r.stdout) if output == "json" else r


def subsets(result):
    """{subset: weight} of the chosen route's destinations, from cluster names outbound|port|subset|host."""
    return {d["cluster"].split("|")[2]: d["weight"] for d in result["destinations"]}


def test_all_v1():
    r = explain(["virtual-service-all-v1.yaml"], "GET " + REVIEWS, user="jason")
    check(r["routeTable"] == "9080", r)
    check(r["virtualHost"] == "reviews.default.svc.cluster.local:9080", r)
    check(r["virtualService"] == "reviews.default", r)
    check(r["action"] == "forward", r)
    check(subsets(r) == {"v1": 100}, r)
    check(all(":9080" in ep for d in r["destinations"] for ep in d["endpoints"]), r)
    check(r["destinations"][0]["endpoints"], f"reviews v1 has endpoints: {r}")


def test_reviews_v2_for_jason():
    step = ["virtual-service-reviews-test-v2.yaml"]
    r = explain(step, "GET " + REVIEWS, user="jason")
    check(r["routeIndex"] == 0 and subsets(r) == {"v2": 100}, r)
    check(r["reasons"] == [], r)
    r = explain(step, "GET " + REVIEWS, user="bob")
    check(r["routeIndex"] == 1 and subsets(r) == {"v1": 100}, r)
    check(len(r["reasons"]) == 1 and 'exact "jason" did not match "bob"' in r["reasons"][0], r)
    r = explain(step, "GET " + REVIEWS)
    check(subsets(r) == {"v1": 100} and "absent" in r["reasons"][0], r)
    # A path plus a Host header is the same request.
    r = explain(step, "GET /reviews/0", "-H", "Host: reviews:9080", user="jason")
    check(subsets(r) == {"v2": 100}, r)


def test_weighted_shifts():
    r = explain(["virtual-service-reviews-50-v3.yaml"], "GET " + REVIEWS)
    check(subsets(r) == {"v1": 50, "v3": 50}, r)
    r = explain(["virtual-service-reviews-90-10.yaml"], "GET " + REVIEWS)
    check(subsets(r) == {"v1": 90, "v2": 10}, r)


def test_ratings_faults():
    ratings = "GET http://ratings:9080/ratings/0"
    r = explain(["virtual-service-ratings-test-delay.yaml"], ratings, user="jason")
    check(r["fault"]["delay"]["fixedDelay"] == "7s" and r["fault"]["delay"]["percent"] == 100, r)
    r = explain(["virtual-service-ratings-test-delay.yaml"], ratings, user="bob")
    check("fault" not in r and subsets(r) == {"v1": 100}, r)
    r = explain(["virtual-service-ratings-test-abort.yaml"], ratings, user="jason")
    check(r["fault"]["abort"]["httpStatus"] == 500, r)
    text = explain(["virtual-service-ratings-test-abort.yaml"], ratings, user="jason", output=None).stdout
    check("abort with HTTP 500 for 100% of requests" in text, text)
    check("VirtualService:   ratings.default" in text, text)


def test_gateway():
    gw = ["--gateway", "istio-system/istio-ingressgateway"]
    r = explain(["bookinfo-gateway.yaml"], "GET http://bookinfo.example.com:8080/productpage", *gw)
    check(r["routeTable"] == "http.8080", r)
    check(r["virtualService"] == "bookinfo.default", r)
    check(list(subsets(r)) == [""] and "productpage.default.svc.cluster.local" in r["destinations"][0]["cluster"], r)
    r = explain(["bookinfo-gateway.yaml"], "GET http://bookinfo.example.com:8080/nope", *gw, want_exit=1)
    check(r["action"] == "none" and r["destinations"] == [], r)
    check(any('uri exact "/productpage" did not match "/nope"' in x for x in r["reasons"]), r)


def test_bad_request():
    r = explain([], "GET /no-host", output=None, want_exit=1)
    check("no host" in r.stderr, r.stderr)
    r = explain([], "GET http://reviews:9080/", "-H", "no colon", output=None, want_exit=1)
    check("Name: value" in r.stderr, r.stderr)


def main():
    test_all_v1()
    test_reviews_v2_for_jason()
    test_weighted_shifts()
    test_ratings_faults()
    test_gateway()
    test_bad_request()
    print("ok")


if __name__ == "__main__":
    main()
