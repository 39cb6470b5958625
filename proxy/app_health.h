// Application probes on 15020, as istio-agent serves them: `mesh inject`
// moves each HTTP liveness/readiness/startup probe to
// /app-health/<container>/<livez|readyz|startupz> on this port and hands the
// original probe over in ISTIO_KUBE_APP_PROBERS. The kubelet's probe then
// reaches the app from inside the pod, where STRICT mTLS does not apply.
//
// Probes are rare and short (the kubelet's timeoutSeconds), so one thread
// serves them one at a time with blocking sockets and deadlines, away from the
// workers and the admin loop.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mesh::proxy {

struct AppProbe {
  std::string host;  // "" = the pod's address
  uint16_t port = 0;
  std::string path = "/";
  std::string scheme = "HTTP";
  std::vector<std::pair<std::string, std::string>> headers;
  int timeout_seconds = 1;  // the kubelet's default
};

// Parses ISTIO_KUBE_APP_PROBERS ({"/app-health/c/livez": {"httpGet": {...},
// "timeoutSeconds": N}}). Returns nullopt and sets `error` on malformed input.
std::optional<std::map<std::string, AppProbe>> parse_app_probers(const std::string& json, std::string& error);

// A one-shot blocking HTTP/1.1 request (probes, `mesh proxy wait|drain`).
struct HttpProbeRequest {
  std::string ip;  // a literal address
  uint16_t port = 0;
  std::string method = "GET";
  std::string path = "/";
  std::string host;       // the Host header
  std::string source_ip;  // bound before connecting when set (and of the same family)
  std::string user_agent = "kube-probe/mesh";
  std::vector<std::pair<std::string, std::string>> headers;
  int timeout_ms = 1000;
};
// The response status, or 0 when there was no valid response in time.
int http_request_status(const HttpProbeRequest& request);

class AppHealthServer {
 public:
  // `pod_ip`: where probes without a host go (INSTANCE_IP); "" means 127.0.0.1.
  AppHealthServer(std::map<std::string, AppProbe> probes, std::string pod_ip);
  ~AppHealthServer();
  AppHealthServer(const AppHealthServer&) = delete;
  AppHealthServer& operator=(const AppHealthServer&) = delete;

  // Binds address:port (0: any) and starts serving. Returns false with `error`.
  bool start(const std::string& address, int port, std::string& error);
  uint16_t port() const { return port_; }
  void stop();

  // Runs one probe: the app's status, or 500 when it cannot be reached in time.
  int run_probe(const AppProbe& probe) const;

 private:
  void serve();
  void handle(int fd);

  std::map<std::string, AppProbe> probes_;
  std::string pod_ip_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace mesh::proxy
