// A blocking HTTP/1.1 GET for the CLI tools that ask a running control plane or
// proxy (mesh status, mesh routes NAME): one request, read to close.
#pragma once

#include <string>

namespace mesh::cmd {

// GET http://ADDR:PORT`path`. Returns the status (0 when unreachable, with the
// reason in `body`) and the body.
int http_get(const std::string& address, const std::string& path, std::string& body, int timeout_ms = 5000);

}  // namespace mesh::cmd
