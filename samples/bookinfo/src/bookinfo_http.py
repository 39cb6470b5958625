"""Plumbing shared by the Bookinfo sample services (python3 standard library only).

A small threaded HTTP server with a route table, one log line per request on stdout
and a clean exit on SIGTERM, plus an HTTP client that copies the user and tracing
headers of the incoming request onto every outgoing call. Those copied headers are
what lets a mesh route by user (`end-user`) and join the hops of one request into a
trace: the proxies cannot do it for the application.
"""

import http.client
import http.cookies
import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field

# Copied from the incoming request onto outgoing calls: the user the mesh routes on,
# the request id, and the trace context of the common tracers (B3, W3C, OpenTracing,
# SkyWalking, Google Cloud).
FORWARDED_HEADERS = (
    "end-user", "x-request-id",
    "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3",
    "traceparent", "tracestate", "x-ot-span-context", "sw8", "x-cloud-trace-context",
    "cookie", "user-agent",
)

MAX_BODY_BYTES = 64 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: object  # http.client.HTTPMessage: case-insensitive get()
    body: bytes = b""

    def cookie(self, name):
        jar = http.cookies.SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except http.cookies.CookieError:
            return None
        return jar[name].value if name in jar else None

    def form(self):
        """The fields of an application/x-www-form-urlencoded body, first value each."""
        fields = urllib.parse.parse_qs(self.body.decode("utf-8", "replace"))
        return {name: values[0] for name, values in fields.items()}

    def forwarded_headers(self):
        return {name: self.headers[name] for name in FORWARDED_HEADERS if name in self.headers}


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    headers: list = field(default_factory=list)


def json_response(value, status=200):
    return Response(status, json.dumps(value).encode() + b"\n", "application/json")


def html_response(text, status=200):
    return Response(status, text.encode(), "text/html; charset=utf-8")


def redirect(location, headers=()):
    return Response(302, b"", "text/plain", [("Location", location), *headers])


class Route:
    """METHOD plus a path pattern whose named groups become handler arguments."""

    def __init__(self, method, pattern, handler):
        self.method = method
        self.pattern = re.compile(pattern + r"\Z")
        self.handler = handler


class App:
    def __init__(self, name, routes):
        self.name = name
        self.routes = routes

    def handle(self, request):
        path_matched = False
        for route in self.routes:
            match = route.pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if route.method == request.method or (route.method == "GET" and request.method == "HEAD"):
                return route.handler(request, **match.groupdict())
        if path_matched:
            return json_response({"error": "method not allowed"}, 405)
        return json_response({"error": "not found"}, 404)


_log_lock = threading.Lock()


def log(line):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with _log_lock:
        print(stamp, line, flush=True)


class AppHandler(http.server.BaseHTTPRequestHandler):
    """Hands each request to `app` (set by a subclass) and logs it in one line."""
    app = None
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _serve(self):
        started = time.monotonic()
        request = self._read_request()
        if request is None:
            response = json_response({"error": "request body must have a Content-Length up to 64 KiB"}, 411)
            self.close_connection = True
        else:
            response = self._respond_to(request)
        self._send(response)
        elapsed_ms = (time.monotonic() - started) * 1000
        log("%s %s %s %d %.0fms request-id=%s" % (self.app.name, self.command, self.path, response.status,
                                                    elapsed_ms, self.headers.get("x-request-id", "-")))

    def _read_request(self):
        if "transfer-encoding" in self.headers:
            return None
        try:
            length = int(self.headers.get("content-length", "0"))
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY_BYTES:
            return None
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        return Request(self.command, url.path, query, self.headers, self.rfile.read(length))

    def _respond_to(self, request):
        try:
            return self.app.handle(request)
        except Exception:  # a bug in a handler answers 500, the server keeps running
            traceback.print_exc(file=sys.stderr)
            return json_response({"error": "internal error"}, 500)

    def _send(self, response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format, *args):
        pass  # _serve writes the one line per request


def _make_server(app):
    try:
        port = int(os.environ.get("PORT", "9080"))
    except ValueError:
        sys.exit("%s: PORT must be a number, got %r" % (app.name, os.environ["PORT"]))
    address = os.environ.get("BIND_ADDRESS", "0.0.0.0")

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in address else socket.AF_INET

    try:
        handler = type("Handler", (AppHandler,), {"app": app, "server_version": "bookinfo-" + app.name})
        return Server((address, port), handler)
    except OSError as e:
        sys.exit("%s: cannot listen on %s:%d: %s" % (app.name, address, port, e.strerror))


def serve(app):
    """Serve until SIGTERM or SIGINT, then exit 0.

    Prints "<name> listening on ADDRESS:PORT" first, with the port the kernel chose
    when PORT=0, so a test can find the service.
    """
    server = _make_server(app)
    address, port = server.server_address[:2]
    log("%s listening on %s:%d" % (app.name, address, port))

    def stop(signum, frame):
        # shutdown() waits for serve_forever() to return, which runs on this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    log("%s stopped" % app.name)


@dataclass
class Reply:
    """What a backend call gave: status 0 and an error when there was no answer."""
    status: int
    body: bytes = b""
    error: str = ""

    @property
    def ok(self):
        return self.status == 200

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def service_url(env_name, default):
    """The base URL of a peer: the Kubernetes service name unless the env overrides it."""
    url = os.environ.get(env_name, default).rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
        valid = parts.scheme == "http" and parts.hostname and parts.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        sys.exit("%s must be an http://host[:port] URL, got %r" % (env_name, url))
    return url


def env_seconds(name, default):
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        sys.exit("%s must be a number of seconds, got %r" % (name, os.environ[name]))


def fetch(url, headers, timeout):
    """GET url; timeout (seconds) bounds the connect and every read."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", path or "/", headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.read())
    except socket.timeout:
        return Reply(0, error="timed out after %gs" % timeout)
    except (OSError, http.client.HTTPException, ValueError) as e:  # ValueError: a header http.client refuses
        return Reply(0, error=str(e) or type(e).__name__)
    finally:
        connection.close()
