#include "proxy/header_vars.h"

#include <netinet/in.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>

#include "proxy/access_log.h"

namespace mesh::proxy {

namespace {

int64_t unix_ms_now() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

bool socket_address(const uv_tcp_t* tcp, bool peer, sockaddr_storage& out) {
  if (tcp == nullptr) return false;
  int len = sizeof out;
  auto* sa = reinterpret_cast<sockaddr*>(&out);
  return (peer ? uv_tcp_getpeername(tcp, sa, &len) : uv_tcp_getsockname(tcp, sa, &len)) == 0;
}

// Appends the variable's value; false when the name is not one we know.
bool append_var(std::string_view name, const HeaderVars& vars, std::string& out) {
  sockaddr_storage a{};
  if (name == "DOWNSTREAM_REMOTE_ADDRESS" || name == "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT") {
    if (socket_address(vars.downstream, true, a)) append_address(out, a, name == "DOWNSTREAM_REMOTE_ADDRESS");
  } else if (name == "DOWNSTREAM_LOCAL_ADDRESS") {
    if (socket_address(vars.downstream, false, a)) append_address(out, a);
  } else if (name == "UPSTREAM_REMOTE_ADDRESS") {
    if (vars.upstream != nullptr) append_address(out, *vars.upstream);
  } else if (name.size() > 5 && name.substr(0, 4) == "REQ(" && name.back() == ')') {
    std::string lower(name.substr(4, name.size() - 5));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (vars.request != nullptr) out.append(vars.request->find(lower));
  } else if (name == "START_TIME") {
    append_start_time(out, unix_ms_now());
  } else if (name == "PROTOCOL") {
    out.append("HTTP/1.1");
  } else if (name == "HOSTNAME") {
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) == 0) out.append(host);
  } else {
    return false;
  }
  return true;
}

}  // namespace

void append_address(std::string& out, const sockaddr_storage& address, bool with_port) {
  char ip[64] = "";
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(in6, ip, sizeof ip);
    if (!with_port) {
      out.append(ip);
      return;
    }
    out.append("[").append(ip).append("]:").append(std::to_string(ntohs(in6->sin6_port)));
  } else if (address.ss_family == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(in4, ip, sizeof ip);
    out.append(ip);
    if (with_port) out.append(":").append(std::to_string(ntohs(in4->sin_port)));
  }
}

void expand_header_value(std::string_view value, const HeaderVars& vars, std::string& out) {
  while (!value.empty()) {
    size_t start = value.find('%');
    out.append(value.substr(0, start));
    if (start == std::string_view::npos) return;
    if (start + 1 < value.size() && value[start + 1] == '%') {
      out.push_back('%');
      value.remove_prefix(start + 2);
      continue;
    }
    size_t end = value.find('%', start + 1);
    if (end == std::string_view::npos || !append_var(value.substr(start + 1, end - start - 1), vars, out)) {
      // Not a variable we know: kept as written, up to (not including) the next '%'.
      size_t keep = end == std::string_view::npos ? value.size() : end;
      out.append(value.substr(start, keep - start));
      value.remove_prefix(keep);
      continue;
    }
    value.remove_prefix(end + 1);
  }
}

}  // namespace mesh::proxy
