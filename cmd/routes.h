// mesh routes' options and entry point; its flags are in cmd/main.cc.
#pragma once

#include <string>
#include <vector>

namespace mesh::cmd {

struct RoutesOptions {
  std::vector<std::string> files;
  std::string workload;  // NAMESPACE/NAME
  std::string gateway;   // NAMESPACE/NAME
  std::string from;      // NAMESPACE/NAME, same as workload
  std::string output = "table";
  std::string explain;
  std::vector<std::string> headers;
  int bench_sidecars = 0;  // hidden: time translating this many sidecars
  std::string name;        // live: a pod or Deployment connected to the control plane
  std::string control;  // "" = the local mesh's, else 127.0.0.1:15010
  std::string profile = "default";
  std::string proxy;  // live: a proxy's admin ADDR:PORT
};

int run_routes(const RoutesOptions& o);

}  // namespace mesh::cmd
