// The control plane's config store: several sources (the config directory, the
// proxies that joined, later the Kubernetes API) each contribute objects, and
// the union is what translation reads. A new source implements ConfigSource.
#pragma once

#include <vector>

#include "core/model/config_set.h"

namespace mesh::control {

class ConfigSource {
 public:
  virtual ~ConfigSource() = default;
  // Appends this source's current objects.
  virtual void contribute(model::ConfigSet& out) const = 0;
};

// Appends every object of `from` to `into`.
void append(model::ConfigSet& into, const model::ConfigSet& from);

// The union of the sources' objects.
model::ConfigSet merge(const std::vector<const ConfigSource*>& sources);

}  // namespace mesh::control
