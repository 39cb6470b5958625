// `mesh inject`: add the capture init container and the sidecar to every pod
// template in a stream of Kubernetes manifests, like `istioctl kube-inject -f`.
// Pure text in, text out: the command does the file handling.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mesh::inject {

// Istio's names, so `kubectl logs -c istio-proxy` and existing tooling carry over.
inline constexpr std::string_view kInitContainerName = "istio-init";
inline constexpr std::string_view kSidecarName = "istio-proxy";
inline constexpr std::string_view kStatusAnnotation = "sidecar.istio.io/status";

struct InjectOptions {
  std::string image;            // of both added containers (entrypoint: the mesh binary)
  std::string control;          // control plane address the sidecar connects to
  bool native_sidecar = false;  // sidecar in initContainers with restartPolicy: Always
};

struct InjectResult {
  bool ok = false;
  std::string output;                 // the documents, "---" separated
  std::vector<std::string> warnings;  // "FILE:LINE:COL: warning: ..." lines
  std::string error;                  // "FILE:LINE:COL: Kind/ns/name: field: message"
  int injected = 0;                   // pod templates changed
};

// Injects every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job and CronJob in `text` (YAML or JSON, several
// documents, `kind: List`); other documents pass through unchanged, in order.
// A template that already carries the status annotation is left as it is.
InjectResult inject_text(std::string_view text, const std::string& file_name, const InjectOptions& options);

}  // namespace mesh::inject
