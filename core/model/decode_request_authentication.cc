// security.istio.io RequestAuthentication: JWT rules, with the rules Istio's
// validation webhook applies.
#include <fmt/format.h>

#include "core/model/decode_kinds.h"
#include "core/model/yaml_parse.h"
#include "core/model/decode_security_parts.h"

namespace mesh::model {
using namespace security_parts;
namespace {

bool valid_header_name(const std::string& name) {
  static constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || kTokenPunct.find(ch) != std::string_view::npos;
  });
}

void check_header_name(DecodeContext& c, const yaml::Node& n, const std::string& name) {
  if (!valid_header_name(name)) c.error(n, fmt::format("\"{}\" is not a valid HTTP header name", name));
}

void read_from_header(DecodeContext& c, const yaml::Node& n, std::vector<JWTHeader>& out) {
  JWTHeader header;
  yaml::Node name_node;
  read_fields(c, n,
              {
                  {"name",
                   [&](const yaml::Node& v) {
                     name_node = v;
                     read(c, v, header.name);
                   }},
                  {"prefix", [&](const yaml::Node& v) { read(c, v, header.prefix); }},
              });
  if (!n.is_map()) return;
  if (header.name.empty())
    c.error(present(name_node) ? name_node : n, "name: required field is missing");
  else
    check_header_name(c, name_node, header.name);
  out.push_back(std::move(header));
}

void read_claim_to_header(DecodeContext& c, const yaml::Node& n, std::vector<ClaimToHeader>& out) {
  ClaimToHeader item;
  yaml::Node header_node;
  read_fields(c, n,
              {
                  {"header",
                   [&](const yaml::Node& v) {
                     header_node = v;
                     read(c, v, item.header);
                   }},
                  {"claim", [&](const yaml::Node& v) { read(c, v, item.claim); }},
              });
  if (!n.is_map()) return;
  if (item.header.empty())
    c.error(n, "header: required field is missing");
  else
    check_header_name(c, header_node, item.header);
  if (item.claim.empty()) c.error(n, "claim: required field is missing");
  out.push_back(std::move(item));
}

// An inline JWKS must be a JSON key set (or a single key).
void check_jwks(DecodeContext& c, const yaml::Node& at, const std::string& text) {
  yaml::Document parsed;
  try {
    parsed = yaml::parse(text);
  } catch (const YAML::Exception& e) {
    c.error(at, "jwks is not valid JSON: " + e.msg);
    return;
  }
  const yaml::Node doc = parsed.root();
  if (!doc.is_map() || (!doc["keys"].is_sequence() && !doc["kty"].is_scalar())) {
    c.error(at, "jwks must be a JSON Web Key Set ({\"keys\": [...]}) or a single key");
  }
}

void check_jwt_rule(DecodeContext& c, const yaml::Node& n, const JWTRule& rule) {
  if (rule.issuer.empty() && rule.jwks_uri.empty()) c.error(n, "issuer: required field is missing");
  const yaml::Node uri = n["jwksUri"];
  if (!rule.jwks_uri.empty() && !rule.jwks_uri.starts_with("http://") &&
      !rule.jwks_uri.starts_with("https://")) {
    c.error_field(uri, "jwksUri",
                  fmt::format("jwksUri \"{}\" must be an http:// or https:// URL", rule.jwks_uri));
  }
  const yaml::Node jwks = n["jwks"];
  if (!rule.jwks.empty()) {
    FieldScope scope(c, "jwks");
    if (!rule.jwks_uri.empty()) c.error(jwks, "only one of jwks and jwksUri may be set");
    check_jwks(c, jwks, rule.jwks);
  }
  if (!rule.output_payload_to_header.empty()) {
    FieldScope scope(c, "outputPayloadToHeader");
    check_header_name(c, n["outputPayloadToHeader"], rule.output_payload_to_header);
  }
}

void read_jwt_rule(DecodeContext& c, const yaml::Node& n, JWTRule& rule) {
  const bool ok = read_fields(
      c, n,
      {
          {"issuer", [&](const yaml::Node& v) { read(c, v, rule.issuer); }},
          {"audiences", [&](const yaml::Node& v) { read_values(c, v, rule.audiences); }},
          {"jwksUri", [&](const yaml::Node& v) { read(c, v, rule.jwks_uri); }},
          {"jwks", [&](const yaml::Node& v) { read(c, v, rule.jwks); }},
          {"fromHeaders",
           [&](const yaml::Node& v) {
             for_each_item(c, v, [&](const yaml::Node& h) { read_from_header(c, h, rule.from_headers); });
           }},
          {"fromParams", [&](const yaml::Node& v) { read_values(c, v, rule.from_params); }},
          {"fromCookies", [&](const yaml::Node& v) { read_values(c, v, rule.from_cookies); }},
          {"outputPayloadToHeader", [&](const yaml::Node& v) { read(c, v, rule.output_payload_to_header); }},
          {"forwardOriginalToken", [&](const yaml::Node& v) { read(c, v, rule.forward_original_token); }},
          {"outputClaimToHeaders",
           [&](const yaml::Node& v) {
             for_each_item(c, v, [&](const yaml::Node& h) {
               read_claim_to_header(c, h, rule.output_claim_to_headers);
             });
           }},
          {"timeout", [&](const yaml::Node& v) { read_duration(c, v, rule.timeout); }},
      });
  if (ok) check_jwt_rule(c, n, rule);
}

}  // namespace

void decode_spec(DecodeContext& c, const yaml::Node& spec, RequestAuthentication& out) {
  read_fields(c, spec,
              {
                  {"selector", [&](const yaml::Node& v) { read_selector(c, v, out.selector); }},
                  {"targetRef", [&](const yaml::Node& v) { read_target_ref(c, v, out.target_refs); }},
                  {"targetRefs", [&](const yaml::Node& v) { read_target_refs(c, v, out.target_refs); }},
                  {"jwtRules",
                   [&](const yaml::Node& v) {
                     for_each_item(c, v, [&](const yaml::Node& item) {
                       JWTRule rule;
                       read_jwt_rule(c, item, rule);
                       out.jwt_rules.push_back(std::move(rule));
                     });
                   }},
              });
  check_one_scope(c, spec);
}

}  // namespace mesh::model
