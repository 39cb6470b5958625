// TLS as a transport layer, independent of sockets: a Context holds certificates
// and verification rules; a Session is one connection's TLS state driven through
// memory buffers (ciphertext in/out, plaintext in/out), so a libuv connection, a
// test, or a fuzzer can wrap it the same way.
//
// Written against the API subset BoringSSL and OpenSSL 3 share, so the default
// build (BoringSSL) and the static build (OpenSSL 3) run the same code.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace mesh::tls {

enum class Role { kClient, kServer };

struct TlsConfig {
  std::string cert_chain_pem;   // leaf first, then intermediates
  std::string private_key_pem;  // never logged, never leaves the process
  std::string ca_pem;           // trust roots for the peer; empty: do not verify
  bool require_peer_cert = false;           // servers: mutual TLS
  std::vector<std::string> allowed_peer_uris;  // e.g. spiffe://cluster.local/ns/x/sa/y; empty: any
  std::vector<std::string> alpn;            // e.g. {"istio-peer-exchange", "h2", "http/1.1"}
};

class Context {
 public:
  // Returns nullptr and sets `error` when the certificates or key are unusable.
  static std::shared_ptr<const Context> create(Role role, const TlsConfig& config, std::string& error);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Role role() const { return role_; }
  SSL_CTX* raw() const { return ctx_; }
  const TlsConfig& config() const { return config_; }

 private:
  Context(Role role, SSL_CTX* ctx, TlsConfig config) : role_(role), ctx_(ctx), config_(std::move(config)) {}
  Role role_;
  SSL_CTX* ctx_;
  TlsConfig config_;
};

class Session {
 public:
  Session(std::shared_ptr<const Context> context, std::string_view sni = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Bytes from the network. Returns false on a fatal TLS error (see error()).
  bool feed_ciphertext(std::string_view data);
  // Appends decrypted bytes to `out`; drives the handshake as needed.
  bool read_plaintext(std::string& out);
  // Queues plaintext for encryption (buffered until the handshake is done).
  bool write_plaintext(std::string_view data);
  // Moves ciphertext waiting to go to the network into `out` (appends).
  void take_ciphertext(std::string& out);

  bool handshake_done() const { return handshake_done_; }
  bool peer_closed() const { return peer_closed_; }
  // Starts a clean close (close_notify); send take_ciphertext() afterwards.
  void shutdown();
  const std::string& error() const { return error_; }
  // URI subject alternative names of the verified peer (SPIFFE identities).
  std::vector<std::string> peer_uri_sans() const;
  std::string negotiated_alpn() const;

 private:
  bool drive_handshake();
  bool flush_pending_writes();
  bool fail(std::string what);

  std::shared_ptr<const Context> context_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // network -> TLS
  BIO* out_ = nullptr;  // TLS -> network
  std::string pending_plain_;
  std::string error_;
  bool handshake_done_ = false;
  bool peer_closed_ = false;
};

}  // namespace mesh::tls
