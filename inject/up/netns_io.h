// Sockets made inside another network namespace, from a process that stays in
// its own: the calling thread enters the namespace only for the socket() call
// (a socket keeps the namespace it was made in). The supervisor uses them to
// relay host ports into the pod network and to probe pods.
#pragma once

#include <cstdint>
#include <string>

namespace mesh::up {

// A new non-blocking TCP socket in the named namespace (/run/netns/NAME), or -errno.
int socket_in_netns(const std::string& netns, int family);

// Blocking probes with a deadline, made from inside `netns`.
// True when a TCP connection to ip:port is accepted.
bool probe_tcp(const std::string& netns, const std::string& ip, uint16_t port, int timeout_ms);
// The HTTP status of GET path on ip:port (0 when there was no answer).
int probe_http(const std::string& netns, const std::string& ip, uint16_t port, const std::string& path,
               int timeout_ms);

}  // namespace mesh::up
