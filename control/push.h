// What each connected proxy was sent and answered, and the decision to push:
// translate for the proxy, compare the content hash with what it has, and send
// only when they differ. Pure (no I/O), so it is unit-tested directly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/config_set.h"
#include "core/registry/registry.h"
#include "core/translate/translate.h"
#include "core/xds/messages.h"
#include "core/xds/stream.h"

namespace mesh::control {

enum class SyncStatus { kNotSent, kSynced, kStale, kNacked };
const char* sync_status_name(SyncStatus s);

// One connected proxy.
struct ProxyRecord {
  xds::Hello hello;
  std::string id;             // "name.namespace", like istioctl
  uint64_t sent_version = 0;  // 0: nothing sent yet
  uint64_t sent_hash = 0;
  uint64_t acked_version = 0;
  uint64_t nacked_version = 0;
  std::string nack_error;
  uint64_t sent_at_ms = 0;
  uint64_t acked_at_ms = 0;
  bool dirty = true;  // its inputs changed since it was last translated

  SyncStatus status() const;
  void on_ack(uint64_t version, uint64_t now_ms);
  void on_nack(uint64_t version, std::string error);
};

// The identity translation needs, from a proxy's hello.
pc::ProxyIdentity identity_of(const xds::Hello& hello);
// A joined proxy as a Kubernetes Pod, so Services select it by label.
model::Pod pod_of(const xds::Hello& hello);
// Whether a Service or ServiceEntry selects the pod, i.e. whether its joining or
// leaving changes other proxies' endpoints. Otherwise only its own config depends on it.
bool is_endpoint(const model::ConfigSet& config, const xds::Hello& hello);

// A snapshot message for one proxy (xds::encode_snapshot's format), its config
// kept in encoded parts so the parts a scope's proxies share are sent without
// being copied per proxy.
struct Snapshot {
  uint64_t version = 0;
  translate::EncodedConfig config;

  bool send(xds::Stream& stream) const;
};

// The proxy's config as JSON with the version it was last sent. Translation is a
// pure function, so this equals what was sent unless a push is pending.
std::string config_json(translate::SharedTranslation& translation, const ProxyRecord& proxy);
std::string config_json(const model::ConfigSet& config, const registry::Registry& registry,
                        const ProxyRecord& proxy);

// Translates for `proxy`; returns the snapshot to send when its config differs
// from what it last got (and records it as sent), nullopt otherwise. A push to
// many proxies passes one SharedTranslation of the current generation, so
// proxies with the same scope share their route tables.
std::optional<Snapshot> plan_push(translate::SharedTranslation& translation, ProxyRecord& proxy,
                                  uint64_t version, uint64_t now_ms);
std::optional<Snapshot> plan_push(const model::ConfigSet& config, const registry::Registry& registry,
                                  ProxyRecord& proxy, uint64_t version, uint64_t now_ms);

}  // namespace mesh::control
