// The config of a running local mesh lives in one directory, one file per
// object (`<namespace>/<kind>-<name>.yaml`), which the control plane and the
// supervisor both watch. `mesh up` and `mesh apply` stage objects there the way
// `kubectl apply` does: an object with the same kind, namespace and name is
// replaced, whichever file it came from; `mesh delete` removes them.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/model/diag.h"

namespace mesh::up {

// One input file (or stdin) as read, and where relative commands run from.
struct InputFile {
  std::string name;  // the file as named in messages ("<stdin>" for -)
  std::string text;
  std::string dir;  // absolute directory of the file (stdin: the working directory)
};

// One Kubernetes or Istio object from an input.
struct StagedObject {
  std::string api_version, kind, ns, name;
  YAML::Node node;
  // "virtualservice.networking.istio.io/reviews", as kubectl names objects.
  std::string display() const;
  // "<namespace>/<kind>-<name>.yaml", relative to the config directory.
  std::string file() const;
};

// Reads files, directories (recursively: *.yaml, *.yml, *.json) and "-".
bool read_inputs(const std::vector<std::string>& paths, std::vector<InputFile>& out, std::string& error);

// Decodes and validates every input with the model; errors land in `diags`.
void validate_inputs(const std::vector<InputFile>& inputs, model::Diagnostics& diags);

// Every object of the inputs (`kind: List` expanded), namespaces defaulted, and
// the directory of the defining file recorded on pod templates that carry
// `mesh.local/run` (annotation `mesh.local/workdir`). Throws YAML::Exception
// only for input that validate_inputs() would have refused.
std::vector<StagedObject> objects_of(const std::vector<InputFile>& inputs);

// Writes each object into `config_dir` atomically. `lines` gets kubectl-style
// "<object> created|configured|unchanged" lines.
bool stage(const std::vector<StagedObject>& objects, const std::string& config_dir,
           std::vector<std::string>& lines, std::string& error);
// Removes the objects' files: "<object> deleted" or "... not found" lines.
void unstage(const std::vector<StagedObject>& objects, const std::string& config_dir,
             std::vector<std::string>& lines);

}  // namespace mesh::up
