#include "core/route/explain.h"

#include <charconv>

#include <fmt/format.h>

namespace mesh::route {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The port written in an authority ("reviews:9080" -> 9080); 0 when none.
// Fails (nullopt) when a port is written but is not a number in 1..65535.
std::optional<uint32_t> authority_port(std::string_view authority) {
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return 0u;
  if (authority.front() == '[' && authority.find(']') > colon) return 0u;  // IPv6 without port
  std::string_view digits = authority.substr(colon + 1);
  uint32_t port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return std::nullopt;
  return port;
}

// Splits "http://host:port/path?q" (or "host/path", or "/path") into the request.
bool parse_url(std::string_view url, RequestText& req, std::string& error) {
  size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    req.scheme = lower_copy(url.substr(0, scheme_end));
    if (req.scheme != "http" && req.scheme != "https") {
      error = fmt::format("unsupported scheme \"{}\" (http or https)", req.scheme);
      return false;
    }
    url.remove_prefix(scheme_end + 3);
  }
  if (!url.starts_with('/')) {
    size_t slash = url.find_first_of("/?");
    req.authority = std::string(url.substr(0, slash));
    url = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    if (req.authority.empty()) {
      error = "the URL has no host";
      return false;
    }
  }
  req.path = url.empty() ? "/" : std::string(url);
  if (req.path.front() == '?') req.path.insert(0, "/");
  return true;
}

bool parse_header(std::string_view text, RequestText& req, std::string& error) {
  size_t colon = text.find(':', 1);  // from 1 so ":authority: x" keeps its leading colon
  if (colon == std::string_view::npos || trim(text.substr(0, colon)).empty()) {
    error = fmt::format("header \"{}\" is not \"Name: value\"", text);
    return false;
  }
  std::string name = lower_copy(trim(text.substr(0, colon)));
  std::string_view value = trim(text.substr(colon + 1));
  if (name == "host" || name == ":authority") {
    req.authority = std::string(value);
  } else {
    req.headers.emplace_back(std::move(name), std::string(value));
  }
  return true;
}

bool resolve_port(RequestText& req, std::string& error) {
  std::optional<uint32_t> port = authority_port(req.authority);
  if (!port) {
    error = fmt::format("bad port in \"{}\"", req.authority);
    return false;
  }
  req.port = *port != 0 ? *port : (req.scheme == "https" ? 443 : 80);
  return true;
}

std::string endpoint_text(const pc::Endpoint& ep) {
  bool v6 = ep.address.find(':') != std::string::npos;
  return v6 ? fmt::format("[{}]:{}", ep.address, ep.port) : fmt::format("{}:{}", ep.address, ep.port);
}

std::vector<Destination> destinations_of(const pc::ProxyConfig& config, const pc::Route& route) {
  std::vector<Destination> out;
  const auto* forward = std::get_if<pc::ForwardAction>(&route.action);
  if (!forward) return out;
  for (const pc::WeightedCluster& wc : forward->clusters) {
    Destination d{wc.cluster, wc.weight, {}, true};
    const pc::Cluster* cluster = config.find_cluster(wc.cluster);
    d.cluster_known = cluster != nullptr;
    if (cluster) {
      for (const pc::Endpoint& ep : cluster->endpoints) d.endpoints.push_back(endpoint_text(ep));
    }
    out.push_back(std::move(d));
  }
  return out;
}

const pc::Listener* find_http_listener(const pc::ProxyConfig& config, uint32_t port) {
  for (const pc::Listener& l : config.listeners) {
    if (l.port == port && l.protocol == pc::Listener::Protocol::kHttp && !l.route_table.empty()) return &l;
  }
  return nullptr;
}

std::string table_names(const pc::ProxyConfig& config) {
  std::string names;
  for (const pc::RouteTable& t : config.route_tables) names += (names.empty() ? "" : ", ") + t.name;
  return names.empty() ? "none" : names;
}

// Fills listener and route table; nullptr (with a reason) when the port has none.
const pc::RouteTable* choose_route_table(const pc::ProxyConfig& config, uint32_t port, Explanation& e) {
  const pc::Listener* listener = find_http_listener(config, port);
  if (listener) {
    e.listener = listener->name;
    e.route_table = listener->route_table;
  } else {
    bool gateway = config.proxy.type == pc::ProxyIdentity::Type::kGateway;
    e.route_table = gateway ? fmt::format("http.{}", port) : std::to_string(port);
  }
  const pc::RouteTable* table = config.find_route_table(e.route_table);
  if (!table) {
    e.reasons.push_back(fmt::format("no route table \"{}\" for port {} (route tables: {})", e.route_table,
                                    port, table_names(config)));
  }
  return table;
}

}  // namespace

RequestView RequestText::view() {
  fields.clear();
  for (const auto& [name, value] : headers) fields.push_back({name, value});
  return RequestView{method, scheme, authority, path, port, fields};
}

std::optional<RequestText> parse_request(std::string_view request_line,
                                         const std::vector<std::string>& headers, std::string& error) {
  RequestText req;
  std::string_view line = trim(request_line);
  size_t space = line.find(' ');
  std::string_view url = line;
  if (space != std::string_view::npos) {
    req.method = std::string(line.substr(0, space));
    url = trim(line.substr(space + 1));
  }
  if (url.empty() || url.find(' ') != std::string_view::npos) {
    error = fmt::format("request \"{}\" is not \"METHOD URL\"", request_line);
    return std::nullopt;
  }
  if (!parse_url(url, req, error)) return std::nullopt;
  for (const std::string& h : headers) {
    if (!parse_header(h, req, error)) return std::nullopt;
  }
  if (req.authority.empty()) {
    error = "no host: give an absolute URL (http://host:port/path) or a Host header";
    return std::nullopt;
  }
  if (!resolve_port(req, error)) return std::nullopt;
  return req;
}

Explanation explain(const pc::ProxyConfig& config, RequestText& request) {
  Explanation e;
  e.request = fmt::format("{} {}://{}{} (port {})", request.method, request.scheme, request.authority,
                          request.path, request.port);
  const pc::RouteTable* table = choose_route_table(config, request.port, e);
  if (!table) return e;
  const pc::VirtualHost* vhost = select_virtual_host(*table, request.authority);
  if (!vhost) {
    e.reasons.push_back(fmt::format("no virtual host in route table \"{}\" has domain \"{}\"", table->name,
                                    request.authority));
    return e;
  }
  e.virtual_host = vhost->name;
  RouteMatchResult result = explain_route(*vhost, request.view(), e.reasons);
  if (!result) {
    e.reasons.push_back(fmt::format("no route in virtual host \"{}\" matched", vhost->name));
    return e;
  }
  e.route = result.route;
  e.route_index = result.route_index;
  e.match_index = result.match_index;
  e.destinations = destinations_of(config, *result.route);
  return e;
}

std::string_view action_kind(const pc::Route* route) {
  if (!route) return "none";
  if (std::holds_alternative<pc::ForwardAction>(route->action)) return "forward";
  if (std::holds_alternative<pc::RedirectAction>(route->action)) return "redirect";
  return "directResponse";
}

std::string format_duration(model::Duration d) {
  auto ns = d.count();
  if (ns % 1000000000 == 0) return fmt::format("{}s", ns / 1000000000);
  if (ns % 1000000 == 0) return fmt::format("{}ms", ns / 1000000);
  if (ns % 1000 == 0) return fmt::format("{}us", ns / 1000);
  return fmt::format("{}ns", ns);
}

}  // namespace mesh::route
