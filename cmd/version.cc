#include <cstdio>

#include <ares.h>
#include <openssl/crypto.h>

#include "cmd/commands.h"

namespace mesh::cmd {

void add_version_command(CLI::App& app, Action& run) {
  CLI::App* sub = app.add_subcommand("version", "Print the mesh version and its libraries");
  sub->callback([&run] {
    run = [] {
      std::printf("mesh version %s\n", MESH_VERSION);
      std::printf("tls: %s\nc-ares: %s\n", OpenSSL_version(OPENSSL_VERSION), ares_version(nullptr));
      return 0;
    };
  });
}

}  // namespace mesh::cmd
