// The actions and policies of an HTTPRoute: redirect, directResponse,
// rewrite, retries, fault injection and CORS.
#include <set>

#include <fmt/format.h>

#include "core/model/decode_networking_common.h"

namespace mesh::model {

namespace {

constexpr size_t kDirectResponseLimit = 1 << 20;   // Istio refuses bodies over 1 MiB
constexpr size_t kDirectResponseWarn = 100 << 10;  // and warns above 100 KiB

// Standard base64 with optional padding; false on any other character.
bool decode_base64(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char ch : in) {
    int v = -1;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+')
      v = 62;
    else if (ch == '/')
      v = 63;
    else if (ch == '=') {
      ++pad;
      continue;
    } else if (ch == '\n' || ch == '\r' || ch == ' ') {
      continue;
    }
    if (v < 0 || pad > 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return pad <= 2;
}

bool check_http_status(DecodeContext& c, const yaml::Node& at, uint32_t status) {
  if (status >= 200 && status <= 599) return true;
  c.error(at, fmt::format("HTTP status {} must be between 200 and 599", status));
  return false;
}

bool is_grpc_status(std::string_view s) {
  static const std::set<std::string, std::less<>> names = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  return names.count(s) > 0;
}

// Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on policies.
bool is_retry_policy(std::string_view p) {
  static const std::set<std::string, std::less<>> names = {"5xx",
                                                           "gateway-error",
                                                           "reset",
                                                           "reset-before-request",
                                                           "connect-failure",
                                                           "retriable-4xx",
                                                           "refused-stream",
                                                           "retriable-status-codes",
                                                           "retriable-headers",
                                                           "envoy-ratelimited",
                                                           "http3-post-connect-failure",
                                                           "cancelled",
                                                           "deadline-exceeded",
                                                           "internal",
                                                           "resource-exhausted",
                                                           "unavailable"};
  if (names.count(p)) return true;
  // A bare status code is accepted too.
  int code = 0;
  for (char ch : p) {
    if (ch < '0' || ch > '9') return false;
    code = code * 10 + (ch - '0');
    if (code > 999) return false;
  }
  return !p.empty() && code >= 100 && code <= 599;
}

void read_body(DecodeContext& c, const yaml::Node& n, std::string& out) {
  int set = 0;
  read_fields(c, n,
              {
                  {"string",
                   [&](const yaml::Node& v) {
                     ++set;
                     read(c, v, out);
                   }},
                  {"bytes",
                   [&](const yaml::Node& v) {
                     ++set;
                     std::string text;
                     if (read(c, v, text) && !decode_base64(text, out))
                       c.error(v, "bytes must be base64-encoded");
                   }},
              });
  if (set > 1) c.error(n, "only one of string or bytes may be set");
  if (out.size() > kDirectResponseLimit) {
    c.error(n, fmt::format("the body is {} bytes; direct responses are limited to 1 MiB", out.size()));
  } else if (out.size() > kDirectResponseWarn) {
    c.warning(n, "a body over 100 KiB makes the configuration slow to distribute");
  }
}

void read_percent_field(DecodeContext& c, const yaml::Node& v, double& out, bool& seen) {
  seen = true;
  read_percent(c, v, out);
}

void read_delay(DecodeContext& c, const yaml::Node& n, FaultDelay& out) {
  bool has_percentage = false;
  std::optional<int32_t> legacy;
  read_fields(c, n,
              {
                  {"fixedDelay", [&](const yaml::Node& v) { read_ms_duration(c, v, out.fixed_delay); }},
                  {"exponentialDelay",
                   [&](const yaml::Node& v) {
                     read_ms_duration(c, v, out.exponential_delay);
                     c.error(v, "exponentialDelay is not supported");
                   }},
                  {"percentage",
                   [&](const yaml::Node& v) { read_percent_field(c, v, out.percentage, has_percentage); }},
                  {"percent",
                   [&](const yaml::Node& v) {
                     int32_t value = 0;
                     if (!read(c, v, value)) return;
                     c.warning(v, "percent is deprecated; use percentage");
                     if (value < 0 || value > 100)
                       c.error(v, fmt::format("percentage {} must be between 0 and 100", value));
                     legacy = value;
                   }},
              });
  if (!has_percentage && legacy) out.percentage = *legacy;
  if (!n.is_map()) return;
  if (out.fixed_delay && out.exponential_delay)
    c.error(n, "only one of fixedDelay or exponentialDelay may be set");
  if (!n["fixedDelay"] && !n["exponentialDelay"]) c.error_field(n, "fixedDelay", "required field is missing");
}

void read_abort(DecodeContext& c, const yaml::Node& n, FaultAbort& out) {
  int kinds = 0;
  bool has_percentage = false;
  read_fields(
      c, n,
      {
          {"httpStatus",
           [&](const yaml::Node& v) {
             ++kinds;
             if (read(c, v, out.http_status)) check_http_status(c, v, out.http_status);
           }},
          {"grpcStatus",
           [&](const yaml::Node& v) {
             ++kinds;
             if (read(c, v, out.grpc_status) && !is_grpc_status(out.grpc_status)) {
               c.error(v, fmt::format("unknown gRPC status \"{}\" (expected a code name such as NOT_FOUND)",
                                      out.grpc_status));
             }
           }},
          {"http2Error",
           [&](const yaml::Node& v) {
             ++kinds;
             read(c, v, out.http2_error);
             c.error(v, "http2Error aborts are not supported");
           }},
          {"percentage",
           [&](const yaml::Node& v) { read_percent_field(c, v, out.percentage, has_percentage); }},
      });
  if (kinds > 1) c.error(n, "only one of httpStatus, grpcStatus or http2Error may be set");
  if (kinds == 0 && n.is_map()) c.warning(n, "abort has no httpStatus or grpcStatus, so it does nothing");
}

}  // namespace

void read_redirect(DecodeContext& c, const yaml::Node& n, HTTPRedirect& out) {
  uint32_t code = 0;
  read_fields(
      c, n,
      {
          {"uri", [&](const yaml::Node& v) { read(c, v, out.uri); }},
          {"authority", [&](const yaml::Node& v) { read(c, v, out.authority); }},
          {"port", [&](const yaml::Node& v) { read_port(c, v, out.port); }},
          {"derivePort",
           [&](const yaml::Node& v) {
             read_enum(c, v, out.derive_port,
                       {{"FROM_PROTOCOL_DEFAULT", HTTPRedirect::DerivePort::kFromProtocolDefault},
                        {"FROM_REQUEST_PORT", HTTPRedirect::DerivePort::kFromRequestPort}});
           }},
          {"scheme",
           [&](const yaml::Node& v) {
             if (read(c, v, out.scheme) && out.scheme != "http" && out.scheme != "https") {
               c.error(v, fmt::format("redirect scheme \"{}\" must be \"http\" or \"https\"", out.scheme));
             }
           }},
          {"redirectCode",
           [&](const yaml::Node& v) {
             if (!read(c, v, code)) return;
             if (code != 0 && (code < 300 || code > 399)) {
               c.error(v, fmt::format("redirect code {} must be a 3xx status", code));
             }
           }},
      });
  if (code != 0) out.redirect_code = code;
  if (!n.is_map()) return;
  if (n["port"] && n["derivePort"])
    c.error_field(n["derivePort"], "derivePort", "only one of port or derivePort may be set");
  if (out.uri.empty() && out.authority.empty() && out.scheme.empty() && !n["port"] && !n["derivePort"]) {
    c.error(n, "a redirect must set at least one of uri, authority, scheme, port or derivePort");
  }
}

void read_direct_response(DecodeContext& c, const yaml::Node& n, HTTPDirectResponse& out) {
  read_fields(c, n,
              {
                  {"status",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.status)) check_http_status(c, v, out.status);
                   }},
                  {"body", [&](const yaml::Node& v) { read_body(c, v, out.body); }},
              });
  if (n.is_map() && !n["status"]) c.error_field(n, "status", "required field is missing");
}

void read_rewrite(DecodeContext& c, const yaml::Node& n, HTTPRewrite& out) {
  read_fields(
      c, n,
      {
          {"uri", [&](const yaml::Node& v) { read(c, v, out.uri); }},
          {"authority", [&](const yaml::Node& v) { read(c, v, out.authority); }},
          {"uriRegexRewrite",
           [&](const yaml::Node& v) {
             RegexRewrite& rr = out.uri_regex_rewrite.emplace();
             read_fields(c, v,
                         {
                             {"match",
                              [&](const yaml::Node& m) {
                                if (read(c, m, rr.match)) check_istio_regex(c, m, rr.match);
                              }},
                             {"rewrite", [&](const yaml::Node& r) { read(c, r, rr.rewrite); }},
                         });
             if (v.is_map() && (rr.match.empty() || rr.rewrite.empty()) && !(v["match"] && rr.match.empty())) {
               c.error(v, "uriRegexRewrite needs both match and rewrite");
             }
           }},
      });
  if (!n.is_map()) return;
  if (!out.uri.empty() && out.uri_regex_rewrite) {
    c.error_field(n["uriRegexRewrite"], "uriRegexRewrite", "only one of uri or uriRegexRewrite may be set");
  }
  if (out.uri.empty() && !out.uri_regex_rewrite && out.authority.empty()) {
    c.error(n, "a rewrite must set uri, uriRegexRewrite or authority");
  }
}

void read_retries(DecodeContext& c, const yaml::Node& n, HTTPRetry& out) {
  bool extra = false;  // anything beyond attempts
  read_fields(c, n,
              {
                  {"attempts",
                   [&](const yaml::Node& v) {
                     if (read(c, v, out.attempts) && out.attempts < 0)
                       c.error(v, "attempts must not be negative");
                   }},
                  {"perTryTimeout",
                   [&](const yaml::Node& v) {
                     extra = true;
                     read_ms_duration(c, v, out.per_try_timeout);
                   }},
                  {"retryOn",
                   [&](const yaml::Node& v) {
                     extra = true;
                     if (!read(c, v, out.retry_on)) return;
                     size_t start = 0;
                     while (start <= out.retry_on.size()) {
                       const size_t comma = std::min(out.retry_on.find(',', start), out.retry_on.size());
                       const std::string policy = out.retry_on.substr(start, comma - start);
                       if (!is_retry_policy(policy))
                         c.error(v, fmt::format("\"{}\" is not a valid retryOn policy", policy));
                       start = comma + 1;
                     }
                   }},
                  {"retryRemoteLocalities",
                   [&](const yaml::Node& v) {
                     extra = true;
                     read(c, v, out.retry_remote_localities);
                   }},
                  {"retryIgnorePreviousHosts",
                   [&](const yaml::Node& v) {
                     bool ignored = false;
                     read(c, v, ignored);
                   }},
                  {"backoff",
                   [&](const yaml::Node& v) {
                     std::optional<Duration> ignored;
                     read_ms_duration(c, v, ignored);
                   }},
              });
  if (out.attempts == 0 && extra)
    c.error(n, "retry settings have no effect when attempts is 0 (retries disabled)");
}

void read_fault(DecodeContext& c, const yaml::Node& n, HTTPFaultInjection& out) {
  read_fields(c, n,
              {
                  {"delay", [&](const yaml::Node& v) { read_delay(c, v, out.delay.emplace()); }},
                  {"abort", [&](const yaml::Node& v) { read_abort(c, v, out.abort.emplace()); }},
              });
  if (n.is_map() && !out.delay && !out.abort) c.error(n, "fault injection needs an abort, a delay or both");
}

void read_cors_policy(DecodeContext& c, const yaml::Node& n, CorsPolicy& out) {
  static const std::set<std::string, std::less<>> methods = {"GET",    "HEAD",    "POST",    "PUT",  "PATCH",
                                                             "DELETE", "CONNECT", "OPTIONS", "TRACE"};
  const auto header_names = [&](std::vector<std::string>& list) {
    return [&c, &list](const yaml::Node& v) {
      read_strings(c, v, list, [&c](const yaml::Node& at, const std::string& name) {
        if (name != "*" && !is_match_header_name(name))
          c.error(at, fmt::format("\"{}\" is not a valid header name", name));
      });
    };
  };
  read_fields(c, n,
              {
                  {"allowOrigins",
                   [&](const yaml::Node& v) {
                     if (!v.is_sequence()) {
                       c.error(v, fmt::format("expected a list, got {}", type_name(v)));
                       return;
                     }
                     for (size_t i = 0; i < v.size(); ++i) {
                       FieldScope scope(c, i);
                       StringMatch& m = out.allow_origins.emplace_back();
                       if (read_string_match(c, v[i], m) && m.value.empty())
                         c.error(v[i], "an origin match must not be empty");
                     }
                   }},
                  {"allowOrigin",
                   [&](const yaml::Node& v) {
                     c.warning(v, "allowOrigin is deprecated; use allowOrigins");
                     std::vector<std::string> origins;
                     read_strings(c, v, origins);
                     for (std::string& o : origins)
                       out.allow_origins.push_back({StringMatch::Kind::kExact, std::move(o), c.pos(v)});
                   }},
                  {"allowMethods",
                   [&](const yaml::Node& v) {
                     read_strings(c, v, out.allow_methods, [&](const yaml::Node& at, const std::string& m) {
                       if (!methods.count(m))
                         c.error(at, fmt::format("\"{}\" is not a supported HTTP method", m));
                     });
                   }},
                  {"allowHeaders", header_names(out.allow_headers)},
                  {"exposeHeaders", header_names(out.expose_headers)},
                  {"maxAge",
                   [&](const yaml::Node& v) {
                     if (read_ms_duration(c, v, out.max_age) && out.max_age->count() % 1'000'000'000 != 0) {
                       c.error(v, "maxAge has a precision of whole seconds");
                     }
                   }},
                  {"allowCredentials", [&](const yaml::Node& v) { read(c, v, out.allow_credentials); }},
                  {"unmatchedPreflights",
                   [&](const yaml::Node& v) {
                     read_enum(c, v, out.unmatched_preflights,
                               {{"UNSPECIFIED", CorsPolicy::UnmatchedPreflights::kUnspecified},
                                {"FORWARD", CorsPolicy::UnmatchedPreflights::kForward},
                                {"IGNORE", CorsPolicy::UnmatchedPreflights::kIgnore}});
                   }},
              });
}

}  // namespace mesh::model
