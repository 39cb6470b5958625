"""Tiny pod applications for the end-to-end tests (python3 standard library).

  podapp.py serve NAME PORT [PORT...]   HTTP servers answering "NAME PORT PATH"
  podapp.py get URL [HEADER:VALUE...]   prints "STATUS BODY"; exit 0 on a response,
                                        3 when refused or reset, 4 on timeout
"""
import http.client
import http.server
import socket
import sys
import threading
import urllib.parse


def serve(name, ports):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"{name} {self.server.server_address[1]} {self.path}\n".encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    servers = [http.server.ThreadingHTTPServer(("", int(p)), Handler) for p in ports]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("serving", flush=True)
    servers[0].serve_forever()


def get(url, headers):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=5)
    try:
        conn.request("GET", u.path or "/", headers=dict(h.split(":", 1) for h in headers))
        r = conn.getresponse()
        print(r.status, r.read().decode().strip())
        return 0
    except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected,
            BrokenPipeError) as e:
        print("refused", type(e).__name__)
        return 3
    except socket.timeout:
        print("timeout")
        return 4


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(get(sys.argv[2], sys.argv[3:]))
