#include "core/translate/encoded_config.h"

#include "core/model/hash.h"
#include "core/translate/dump_parts.h"
#include "core/translate/json_writer.h"

namespace mesh::translate::detail {
namespace {

// Compact JSON of one array element, written as the dump writes it.
template <class T, class WriteFn>
void append_element(std::string& out, const T& item, WriteFn write) {
  JsonWriter w(out, -1);
  write(w, item);
}

}  // namespace

SharedPart encode_shared_part(const pc::SharedList<pc::RouteTable>& route_tables,
                              const std::vector<pc::Cluster>& scope_clusters) {
  auto text = std::make_shared<std::string>();
  text->reserve(1 << 16);
  text->push_back('[');
  for (size_t i = 0; i < route_tables.size(); ++i) {
    if (i) text->push_back(',');
    append_element(*text, route_tables[i], write_route_table);
  }
  text->append("],\"clusters\":[");
  for (size_t i = 0; i < scope_clusters.size(); ++i) {
    if (i) text->push_back(',');
    append_element(*text, scope_clusters[i], write_cluster);
  }
  const uint64_t hash = model::fnv1a(*text);
  return SharedPart{std::move(text), hash};
}

EncodedConfig encode_config(const pc::ProxyIdentity& proxy, model::OutboundTrafficPolicy::Mode outbound_policy,
                            const std::vector<pc::Listener>& listeners, const SharedPart& shared,
                            const std::vector<pc::Cluster>& own_clusters) {
  EncodedConfig out;
  {
    // The object's first member (the version) is EncodedConfig::start()'s:
    // write a placeholder and keep what follows it.
    std::string head;
    JsonWriter w(head, -1);
    w.begin_object();
    w.field("version", 0);
    write_proxy(w, proxy);
    w.field("outboundPolicy", outbound_policy_name(outbound_policy));
    w.key("listeners");
    w.begin_array();
    for (const pc::Listener& l : listeners) write_listener(w, l);
    w.end_array();
    out.head = head.substr(head.find(','));
    out.head += ",\"routeTables\":";
  }
  out.shared = shared.text;
  // The scope always has clusters (BlackHoleCluster at least), so each own one follows a comma.
  for (const pc::Cluster& c : own_clusters) {
    out.tail.push_back(',');
    append_element(out.tail, c, write_cluster);
  }
  out.tail += "]}";
  const std::string_view shared_hash(reinterpret_cast<const char*>(&shared.hash), sizeof shared.hash);
  out.hash = model::fnv1a(out.tail, model::fnv1a(shared_hash, model::fnv1a(out.head)));
  return out;
}

}  // namespace mesh::translate::detail
