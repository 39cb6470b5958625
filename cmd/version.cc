// mesh version: the mesh version and the TLS and DNS libraries it runs on.
#include "cmd/version.h"

#include <cstdio>

#include <ares.h>
#include <openssl/crypto.h>

namespace mesh::cmd {

int run_version() {
  std::printf("mesh version %s\n", MESH_VERSION);
  std::printf("tls: %s\nc-ares: %s\n", OpenSSL_version(OPENSSL_VERSION), ares_version(nullptr));
  return 0;
}

}  // namespace mesh::cmd
