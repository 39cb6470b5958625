#!/usr/bin/env python3
"""The Bookinfo sample apps (samples/bookinfo/src) as processes on loopback.

Every service listens on 127.0.0.1 at a port the kernel chose (PORT=0; the port is
read from the service's first log line) and is wired to its peers with the *_URL
overrides. Fake backends in this process record the headers they receive and fail on
demand; a socket that listens but never accepts plays a hanging backend.
"""
import http.client
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SAMPLES = os.path.join(os.environ["MESH_SOURCE_ROOT"], "samples", "bookinfo")
SRC = os.path.join(SAMPLES, "src")
REVIEWS_DOWN = "Sorry, product reviews are currently unavailable for this book."
DETAILS_DOWN = "Sorry, product details are currently unavailable for this book."
RATINGS_DOWN = "Ratings service is currently unavailable"
TRACE_HEADERS = {
    "x-request-id": "5f1c0e3a-request",
    "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
    "x-b3-spanid": "e457b5a2e4d86bd1",
    "x-b3-parentspanid": "05e3ac9a4f6e3b90",
    "x-b3-sampled": "1",
    "b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "tracestate": "congo=t61rcWkgMzE",
}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def poll(pred, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


class Service:
    def __init__(self, script, argv, cwd, env, log_path):
        self.script = script
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        self._url = None

    @property
    def url(self):
        """Waits for the service to listen: start several, then ask, and they start in parallel."""
        if self._url is None:
            self._url = "http://127.0.0.1:%s" % poll(self._bound_port, self.script + " to listen")
        return self._url

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def _bound_port(self):
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log())
        if not found and self.proc.poll() is not None:
            raise AssertionError("%s exited %d: %s" % (self.script, self.proc.returncode, self.log()))
        return found and found.group(1)


class Services:
    """The processes of one test run; stop_all() ends every one of them by pid."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.started = []

    def start(self, script, **env):
        return self.start_command(script, [sys.executable, os.path.join(SRC, script)], SRC, env)

    def start_command(self, name, argv, cwd, env):
        full_env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
        full_env.update(PORT="0", BIND_ADDRESS="127.0.0.1", **env)
        log_path = os.path.join(self.tmp, "%02d-%s.log" % (len(self.started), name))
        service = Service(name, argv, cwd, full_env, log_path)
        self.started.append(service)
        return service

    def stop_all(self):
        """SIGTERM each one; True when every service exited 0 by itself."""
        clean = True
        for service in self.started:
            try:
                service.url  # SIGTERM before the handler is installed would not be a clean stop
            except AssertionError:
                clean = False
            if service.proc.poll() is None:
                service.proc.send_signal(signal.SIGTERM)
        for service in self.started:
            try:
                clean &= service.proc.wait(10) == 0
            except subprocess.TimeoutExpired:
                service.proc.kill()
                service.proc.wait()
                clean = False
        return clean


class Fake:
    """A backend in this process: records each request; answer(path, n) -> (status, JSON)."""

    def __init__(self, answer):
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, value = answer(self.path, len(fake.requests))
                body = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def answers(value, status=200):
    return lambda path, n: (status, value)


DETAILS = {"id": 0, "author": "Fake Author", "ISBN-10": "0000000000"}
RATINGS = {"id": 0, "ratings": {"Reviewer1": 3, "Reviewer2": 1}}
REVIEWS = {"id": "0", "podname": "fake-pod", "version": "fake",
           "reviews": [{"reviewer": "Reviewer1", "text": "from the fake"}]}


def request(url, path, method="GET", headers=None, body=None):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode(), response
    finally:
        conn.close()


def page(productpage, headers=None):
    status, body, _ = request(productpage.url, "/productpage", headers=headers)
    check(status == 200, "productpage answers 200 even when backends fail: %d" % status)
    return body


def closed_port_url():
    """A loopback port nothing listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % s.getsockname()[1]


def stars_in(body):
    return re.findall(r'class="stars" style="color: (\w+)"', body)


def test_each_reviews_version_on_the_page(run):
    details, ratings = run.start("details.py"), run.start("ratings.py")
    stars = {"v1": [], "v2": ["black", "black"], "v3": ["red", "red"]}
    reviews_of = {v: run.start("reviews.py", REVIEWS_VERSION=v, RATINGS_URL=ratings.url) for v in stars}
    page_of = {v: run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=reviews_of[v].url,
                            RATINGS_URL=ratings.url) for v in stars}
    for version, colors in stars.items():
        productpage, reviews = page_of[version], reviews_of[version]
        body = page(productpage)
        for text in ("The Comedy of Errors", "William Shakespeare", "1234567890", "Reviewer1", "Reviewer2"):
            check(text in body, "%s: the page shows %r" % (version, text))
        check('<span id="reviews-version">reviews-%s</span>' % version in body, version + ": version marker")
        check(stars_in(body) == colors, "%s: stars %s, want %s" % (version, stars_in(body), colors))
        check("unavailable" not in body, version + ": no apology when every backend answers")
        # Each service logs a request after answering it.
        poll(lambda: re.search(r"productpage GET /productpage 200 \d+ms", productpage.log()), "productpage log")
        poll(lambda: re.search(r"reviews-%s GET /reviews/0 200" % version, reviews.log()), "reviews log")
    check_api_and_health(details, ratings, productpage)


def check_api_and_health(details, ratings, productpage):
    expect = [
        (productpage, "/api/v1/products", 200, lambda v: v[0]["title"] == "The Comedy of Errors"),
        (productpage, "/api/v1/products/0", 200, lambda v: v["author"] == "William Shakespeare"),
        (productpage, "/api/v1/products/0/reviews", 200, lambda v: v["version"] == "v3"),
        (productpage, "/api/v1/products/0/ratings", 200, lambda v: v["ratings"]["Reviewer1"] == 5),
        (productpage, "/api/v1/products/x", 400, lambda v: "numeric" in v["error"]),
        (productpage, "/nope", 404, lambda v: "error" in v),
        (details, "/details/7", 200, lambda v: v["id"] == 7 and v["pages"] == 200),
        (ratings, "/ratings/0", 200, lambda v: v["ratings"] == {"Reviewer1": 5, "Reviewer2": 4}),
        (ratings, "/ratings/zero", 400, lambda v: "numeric" in v["error"]),
    ] + [(s, "/health", 200, lambda v: "healthy" in v["status"]) for s in (productpage, details, ratings)]
    for service, path, want_status, valid in expect:
        status, body, _ = request(service.url, path)
        check(status == want_status and valid(json.loads(body)), "%s %s: %d %s" % (service.script, path, status, body))
    status, _, _ = request(details.url, "/details/0", method="POST", body=b"{}")
    check(status == 405, "POST to a GET route is 405: %d" % status)


def test_login_forwards_user_and_trace_headers(run):
    details, ratings = Fake(answers(DETAILS)), Fake(answers(RATINGS))
    try:
        reviews = run.start("reviews.py", REVIEWS_VERSION="v2", RATINGS_URL=ratings.url)
        productpage = run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=reviews.url,
                                RATINGS_URL=ratings.url)
        cookie = login(productpage, "jason")
        body = page(productpage, dict(TRACE_HEADERS, Cookie=cookie))
        check('<b id="user">jason</b>' in body, "the page greets the signed-in user")
        check("Fake Author" in body and stars_in(body) == ["black", "black"], "fake details and ratings shown")
        # productpage -> details directly; productpage -> reviews -> ratings through reviews.
        for fake, hop in ((details, "productpage to details"), (ratings, "reviews to ratings")):
            seen = fake.requests[-1][1]
            check(seen.get("end-user") == "jason", "%s carries end-user: %s" % (hop, seen))
            for name, value in TRACE_HEADERS.items():
                check(seen.get(name) == value, "%s forwards %s: %s" % (hop, name, seen))
        request(productpage.url, "/api/v1/products/0/ratings", headers=dict(TRACE_HEADERS, Cookie=cookie))
        check(ratings.requests[-1][1].get("x-request-id") == TRACE_HEADERS["x-request-id"], "api ratings forwards")
        check_logout(productpage, details, cookie)
    finally:
        details.close()
        ratings.close()


def login(productpage, user):
    form = urllib.parse.urlencode({"username": user, "passwd": "anything"}).encode()
    status, _, response = request(productpage.url, "/login", method="POST", body=form,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    set_cookie = response.getheader("Set-Cookie", "")
    check(status == 302 and response.getheader("Location") == "/productpage", "login redirects: %d" % status)
    check(set_cookie.startswith("user=%s;" % user) and "HttpOnly" in set_cookie, "login sets: " + set_cookie)
    return set_cookie.split(";")[0]


def check_logout(productpage, details, cookie):
    status, _, response = request(productpage.url, "/logout", headers={"Cookie": cookie})
    check(status == 302 and "Max-Age=0" in response.getheader("Set-Cookie", ""), "logout clears the cookie")
    body = page(productpage)
    check('name="username"' in body and "end-user" not in details.requests[-1][1], "signed out: no end-user")
    page(productpage, {"Cookie": 'user="<script>"'})
    check("end-user" not in details.requests[-1][1], "a malformed user cookie is ignored")
    for bad in ("", "two words", "<script>", "x" * 65):
        form = urllib.parse.urlencode({"username": bad}).encode()
        status, body, _ = request(productpage.url, "/login", method="POST", body=form)
        check(status == 400 and "<script>" not in body, "login refuses %r: %d" % (bad, status))


def test_backends_down(run):
    down = closed_port_url()
    aborting = Fake(answers({"error": "fault filter abort"}, 500))  # like a fault-injection abort
    try:
        details = run.start("details.py")
        reviews_v1 = run.start("reviews.py", REVIEWS_VERSION="v1")
        # reviews v2 finds ratings down; v3 gets a 500 from it.
        no_ratings = [run.start("reviews.py", REVIEWS_VERSION="v2", RATINGS_URL=down),
                      run.start("reviews.py", REVIEWS_VERSION="v3", RATINGS_URL=aborting.url)]
        no_reviews = run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=down)
        no_details = run.start("productpage.py", DETAILS_URL=down, REVIEWS_URL=reviews_v1.url)
        pages = [run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=r.url) for r in no_ratings]
        check_reviews_and_details_down(no_reviews, no_details)
        for productpage in pages:
            body = page(productpage)
            check(body.count(RATINGS_DOWN) == 2 and not stars_in(body), "ratings unavailable, no stars: " + body)
            check("Reviewer2" in body and REVIEWS_DOWN not in body, "the reviews themselves still show")
        check(len(aborting.requests) == 1, "reviews calls ratings once per request: %d" % len(aborting.requests))
    finally:
        aborting.close()


def check_reviews_and_details_down(no_reviews, no_details):
    body = page(no_reviews)
    check(REVIEWS_DOWN in body and "William Shakespeare" in body, "reviews down: apology, details still shown")
    status, body, _ = request(no_reviews.url, "/api/v1/products/0/reviews")
    check(status == 503 and json.loads(body)["error"] == REVIEWS_DOWN, "api reviews down: %d %s" % (status, body))
    body = page(no_details)
    check(DETAILS_DOWN in body and "Reviewer1" in body, "details down: apology, reviews still shown")
    status, body, _ = request(no_details.url, "/api/v1/products/0")
    check(status == 503 and json.loads(body)["error"] == DETAILS_DOWN, "api details down: %d %s" % (status, body))


def test_reviews_retried_once(run):
    flaky = Fake(lambda path, n: (503, {"error": "first fails"}) if n == 1 else (200, REVIEWS))
    broken = Fake(answers({"error": "always"}, 500))
    try:
        details = run.start("details.py")
        recovers = run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=flaky.url)
        productpage = run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=broken.url)
        body = page(recovers)
        check("from the fake" in body and REVIEWS_DOWN not in body, "the retry's answer is shown")
        check([p for p, _ in flaky.requests] == ["/reviews/0"] * 2, "one retry: %s" % flaky.requests)
        check(REVIEWS_DOWN in page(productpage), "both attempts fail: apology")
        check(len(broken.requests) == 2, "exactly one retry, not more: %d" % len(broken.requests))
        status, _, _ = request(productpage.url, "/api/v1/products/0/reviews")
        check(status == 500 and len(broken.requests) == 4, "api: the backend's status after 2 attempts: %d" % status)
        check("reviews attempt 2/2 failed: HTTP 500" in productpage.log(), "failed attempts are logged")
    finally:
        flaky.close()
        broken.close()


def timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def manifest_deployments():
    """name -> (the mesh.local/run command, the container env) of bookinfo.yaml's Deployments."""
    with open(os.path.join(SAMPLES, "bookinfo.yaml")) as f:
        documents = f.read().split("\n---\n")
    found = {}
    for doc in documents:
        if re.search(r"^kind: Deployment$", doc, re.M):
            name = re.search(r"^  name: (\S+)$", doc, re.M).group(1)
            command = re.search(r"^        mesh\.local/run: (.+)$", doc, re.M)
            env = dict(re.findall(r"^        - name: (\w+)\n          value: (\S+)$", doc, re.M))
            found[name] = (command and command.group(1), env)
    return found


def test_manifest_commands(run):
    """What `mesh up` will do: each Deployment's command, run by sh -c in the manifest's
    directory with the container's env, starts the right app and version."""
    deployments = manifest_deployments()
    want = ["details-v1", "productpage-v1", "ratings-v1", "reviews-v1", "reviews-v2", "reviews-v3"]
    check(sorted(deployments) == want, "bookinfo.yaml's Deployments: %s" % sorted(deployments))

    def start(name, **urls):
        command, env = deployments[name]
        check(command, name + " has a mesh.local/run annotation")
        return run.start_command(name, ["sh", "-c", command], SAMPLES, dict(env, **urls))

    details, ratings = start("details-v1"), start("ratings-v1")
    reviews = {v: start("reviews-" + v, RATINGS_URL=ratings.url) for v in ("v1", "v2", "v3")}
    productpage = start("productpage-v1", DETAILS_URL=details.url, REVIEWS_URL=reviews["v2"].url)
    body = page(productpage)
    check("William Shakespeare" in body and stars_in(body) == ["black", "black"], "the manifest's apps together")
    for version, service in reviews.items():
        status, body, _ = request(service.url, "/reviews/0")
        check(status == 200 and json.loads(body)["version"] == version, "reviews-%s: %s" % (version, body))


def test_timeouts(run):
    hanging = socket.socket()  # listens, never accepts: connect succeeds, no answer ever comes
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(32)
    never = "http://127.0.0.1:%d" % hanging.getsockname()[1]
    try:
        details = run.start("details.py")
        productpage = run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=never, REVIEWS_TIMEOUT="0.4")
        reviews = run.start("reviews.py", REVIEWS_VERSION="v2", RATINGS_URL=never, RATINGS_TIMEOUT="0.3")
        defaults = (run.start("productpage.py", DETAILS_URL=details.url, REVIEWS_URL=never),
                    run.start("reviews.py", REVIEWS_VERSION="v3", RATINGS_URL=never))
        body, took = timed(lambda: page(productpage))
        check(REVIEWS_DOWN in body and 0.75 <= took < 5, "two 0.4 s attempts, then the apology: %.2fs" % took)
        check("reviews attempt 2/2 failed: timed out after 0.4s" in productpage.log(), "timeouts are logged")
        (status, body, _), took = timed(lambda: request(reviews.url, "/reviews/0"))
        check(status == 200 and RATINGS_DOWN in body and 0.28 <= took < 5, "ratings timeout: %.2fs" % took)
        check_default_timeouts(*defaults)
    finally:
        hanging.close()


def check_default_timeouts(productpage, reviews_v3):
    """The tutorial's delay step relies on these: productpage gives reviews 3 s and one
    retry (6 s); reviews v3 gives ratings 2.5 s. Both run at once to keep the test short."""
    productpage.url, reviews_v3.url  # listening before the clocks start
    took = {}
    calls = [threading.Thread(target=lambda: took.update(page=timed(lambda: page(productpage))))]
    calls.append(threading.Thread(target=lambda: took.update(v3=timed(lambda: request(reviews_v3.url, "/reviews/0")))))
    for call in calls:
        call.start()
    for call in calls:
        call.join(30)
    (body, page_took), ((_, v3_body, _), v3_took) = took["page"], took["v3"]
    check(REVIEWS_DOWN in body and 5.9 <= page_took < 12, "productpage: 2 x 3 s on reviews: %.2fs" % page_took)
    check(RATINGS_DOWN in v3_body and 2.45 <= v3_took < 7, "reviews v3: 2.5 s on ratings: %.2fs" % v3_took)


def test_bad_configuration(run):
    """A wrong env setting stops the service at once with a message naming the variable."""
    cases = [("productpage.py", {"DETAILS_URL": "details:9080"}, "DETAILS_URL must be an http://host[:port] URL"),
             ("productpage.py", {"REVIEWS_TIMEOUT": "3s"}, "REVIEWS_TIMEOUT must be a number of seconds"),
             ("reviews.py", {"REVIEWS_VERSION": "v4"}, "REVIEWS_VERSION must be one of v1, v2, v3"),
             ("ratings.py", {"PORT": "http"}, "PORT must be a number")]
    for script, env, message in cases:
        full_env = dict(os.environ, BIND_ADDRESS="127.0.0.1", PORT="0")
        full_env.update(env)
        result = subprocess.run([sys.executable, os.path.join(SRC, script)], env=full_env, capture_output=True,
                                text=True, timeout=30)
        check(result.returncode == 1 and message in result.stderr, "%s %s: %s" % (script, env, result))


def run_test(test, tmp):
    run = Services(os.path.join(tmp, test.__name__))
    os.mkdir(run.tmp)
    try:
        test(run)
    except Exception:
        for service in run.started:
            sys.stderr.write("--- %s log:\n%s\n" % (service.script, service.log()))
        raise
    finally:
        clean = run.stop_all()
    check(clean, test.__name__ + ": every service exits 0 on SIGTERM")
    check(all(s.log().rstrip().endswith("stopped") for s in run.started), "each logs its stop")


def main():
    # Killed by the test runner's timeout: unwind, so every service is stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit("terminated"))
    with tempfile.TemporaryDirectory(prefix="bookinfo-apps-") as tmp:
        for test in (test_each_reviews_version_on_the_page, test_manifest_commands,
                     test_login_forwards_user_and_trace_headers, test_backends_down, test_reviews_retried_once,
                     test_timeouts, test_bad_configuration):
            started = time.monotonic()
            run_test(test, tmp)
            print("ok %s (%.1fs)" % (test.__name__, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
