#include "control/push.h"

#include "core/translate/translate.h"

namespace mesh::control {

const char* sync_status_name(SyncStatus s) {
  switch (s) {
    case SyncStatus::kSynced:
      return "SYNCED";
    case SyncStatus::kStale:
      return "STALE";
    case SyncStatus::kNacked:
      return "NACKED";
    case SyncStatus::kNotSent:
      break;
  }
  return "NOT SENT";
}

// Like istioctl proxy-status: NACKED when the proxy rejected what it was sent
// last, SYNCED when it acknowledged it, STALE while the answer is outstanding.
SyncStatus ProxyRecord::status() const {
  if (sent_version == 0) return SyncStatus::kNotSent;
  if (nacked_version == sent_version) return SyncStatus::kNacked;
  if (acked_version == sent_version) return SyncStatus::kSynced;
  return SyncStatus::kStale;
}

void ProxyRecord::on_ack(uint64_t version, uint64_t now_ms) {
  if (version > acked_version) acked_version = version;
  if (version == sent_version) acked_at_ms = now_ms;
}

void ProxyRecord::on_nack(uint64_t version, std::string error) {
  nacked_version = version;
  nack_error = std::move(error);
}

pc::ProxyIdentity identity_of(const xds::Hello& hello) {
  pc::ProxyIdentity p;
  p.type = hello.gateway ? pc::ProxyIdentity::Type::kGateway : pc::ProxyIdentity::Type::kSidecar;
  p.name = hello.name;
  p.ns = hello.ns;
  p.labels = hello.labels;
  p.service_account = hello.service_account;
  p.ip = hello.ip;
  return p;
}

model::Pod pod_of(const xds::Hello& hello) {
  model::Pod pod;
  pod.meta.kind = "Pod";
  pod.meta.api_version = "v1";
  pod.meta.name = hello.name;
  pod.meta.ns = hello.ns;
  pod.meta.labels = hello.labels;
  pod.spec.labels = hello.labels;
  pod.spec.service_account = hello.service_account;
  pod.pod_ip = hello.ip;
  model::Container app;
  app.name = "app";
  for (const xds::PortInfo& p : hello.ports) app.ports.push_back({p.name, p.number, "TCP"});
  pod.spec.containers.push_back(std::move(app));
  return pod;
}

bool is_endpoint(const model::ConfigSet& config, const xds::Hello& hello) {
  auto same_ns = [&](const model::Meta& m) { return (m.ns.empty() ? "default" : m.ns) == hello.ns; };
  for (const model::Service& s : config.services) {
    if (same_ns(s.meta) && !s.selector.empty() && registry::selects(s.selector, hello.labels)) return true;
  }
  for (const model::ServiceEntry& se : config.service_entries) {
    if (same_ns(se.meta) && se.workload_selector &&
        registry::selects(se.workload_selector->match_labels, hello.labels))
      return true;
  }
  return false;
}

std::string config_json(translate::SharedTranslation& translation, const ProxyRecord& proxy) {
  return translation.encode(identity_of(proxy.hello)).text(proxy.sent_version);
}

std::string config_json(const model::ConfigSet& config, const registry::Registry& registry,
                        const ProxyRecord& proxy) {
  translate::SharedTranslation translation(config, registry);
  return config_json(translation, proxy);
}

bool Snapshot::send(xds::Stream& stream) const {
  const std::string head = xds::snapshot_head(version) + translate::EncodedConfig::start(version);
  return stream.send({head, config.head, *config.shared, config.tail, xds::kSnapshotTail});
}

std::optional<Snapshot> plan_push(translate::SharedTranslation& translation, ProxyRecord& proxy,
                                  uint64_t version, uint64_t now_ms) {
  proxy.dirty = false;
  translate::EncodedConfig config = translation.encode(identity_of(proxy.hello));
  if (proxy.sent_version != 0 && config.hash == proxy.sent_hash) return std::nullopt;
  proxy.sent_version = version;
  proxy.sent_hash = config.hash;
  proxy.sent_at_ms = now_ms;
  return Snapshot{version, std::move(config)};
}

std::optional<Snapshot> plan_push(const model::ConfigSet& config, const registry::Registry& registry,
                                  ProxyRecord& proxy, uint64_t version, uint64_t now_ms) {
  translate::SharedTranslation translation(config, registry);
  return plan_push(translation, proxy, version, now_ms);
}

}  // namespace mesh::control
