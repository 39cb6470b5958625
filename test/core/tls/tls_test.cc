#include "core/tls/tls.h"

#include <doctest/doctest.h>

#include "core/tls/certs.h"

using namespace mesh::tls;
using namespace std::chrono_literals;

namespace {

struct Identity {
  std::string key, cert;
};

struct Pki {
  Identity ca;
  Identity issue(const std::string& spiffe) const {
    Identity id;
    id.key = generate_private_key();
    std::string csr, err;
    REQUIRE(make_csr(id.key, {"", {spiffe}, {}}, csr, err));
    REQUIRE_MESSAGE(sign_csr(csr, ca.cert, ca.key, 24h, id.cert, err), err);
    return id;
  }
};

Pki make_pki() {
  Pki pki;
  pki.ca.key = generate_private_key();
  std::string err;
  REQUIRE_MESSAGE(make_ca_certificate(pki.ca.key, {"mesh root", {}, {}}, 240h, pki.ca.cert, err), err);
  return pki;
}

// Shuttles bytes between two sessions until neither has anything to send.
void pump(Session& a, Session& b, std::string& a_plain, std::string& b_plain) {
  for (int round = 0; round < 20; ++round) {
    std::string ab, ba;
    a.take_ciphertext(ab);
    b.take_ciphertext(ba);
    if (ab.empty() && ba.empty() && round > 0) return;
    if (!ab.empty()) b.feed_ciphertext(ab);
    if (!ba.empty()) a.feed_ciphertext(ba);
    a.read_plaintext(a_plain);
    b.read_plaintext(b_plain);
  }
}

}  // namespace

TEST_CASE("mutual TLS between two mesh identities, both directions") {
  const Pki pki = make_pki();
  const Identity server_id = pki.issue("spiffe://cluster.local/ns/default/sa/reviews");
  const Identity client_id = pki.issue("spiffe://cluster.local/ns/default/sa/productpage");
  std::string err;
  auto server_ctx = Context::create(
      Role::kServer, {server_id.cert, server_id.key, pki.ca.cert, true, {}, {"istio", "http/1.1"}}, err);
  REQUIRE_MESSAGE(server_ctx, err);
  auto client_ctx = Context::create(
      Role::kClient,
      {client_id.cert, client_id.key, pki.ca.cert, false, {"spiffe://cluster.local/ns/default/sa/reviews"}, {"http/1.1"}},
      err);
  REQUIRE_MESSAGE(client_ctx, err);
  Session client(client_ctx, "reviews.default.svc.cluster.local");
  Session server(server_ctx);
  REQUIRE(client.write_plaintext("GET / HTTP/1.1\r\n\r\n"));
  std::string client_got, server_got;
  pump(client, server, client_got, server_got);
  CHECK(client.handshake_done());
  CHECK(server.handshake_done());
  CHECK(server_got == "GET / HTTP/1.1\r\n\r\n");
  CHECK(server.peer_uri_sans() == std::vector<std::string>{"spiffe://cluster.local/ns/default/sa/productpage"});
  CHECK(client.negotiated_alpn() == "http/1.1");
  REQUIRE(server.write_plaintext("HTTP/1.1 200 OK\r\n\r\n"));
  pump(client, server, client_got, server_got);
  CHECK(client_got == "HTTP/1.1 200 OK\r\n\r\n");
  client.shutdown();
  pump(client, server, client_got, server_got);
  CHECK(server.peer_closed());
}

TEST_CASE("a client that does not trust the server's CA fails the handshake") {
  const Pki pki = make_pki();
  const Pki other = make_pki();
  const Identity server_id = pki.issue("spiffe://cluster.local/ns/default/sa/reviews");
  std::string err;
  auto server_ctx = Context::create(Role::kServer, {server_id.cert, server_id.key, "", false, {}, {}}, err);
  auto client_ctx = Context::create(Role::kClient, {"", "", other.ca.cert, false, {}, {}}, err);
  REQUIRE(server_ctx);
  REQUIRE(client_ctx);
  Session client(client_ctx), server(server_ctx);
  client.write_plaintext("x");
  std::string a, b;
  pump(client, server, a, b);
  CHECK_FALSE(client.handshake_done());
  CHECK(client.error().find("handshake failed") != std::string::npos);
}

TEST_CASE("the server refuses clients without a certificate under mutual TLS") {
  const Pki pki = make_pki();
  const Identity server_id = pki.issue("spiffe://cluster.local/ns/default/sa/reviews");
  std::string err;
  auto server_ctx = Context::create(Role::kServer, {server_id.cert, server_id.key, pki.ca.cert, true, {}, {}}, err);
  auto client_ctx = Context::create(Role::kClient, {"", "", pki.ca.cert, false, {}, {}}, err);
  Session client(client_ctx), server(server_ctx);
  client.write_plaintext("x");
  std::string a, b;
  pump(client, server, a, b);
  CHECK(b.empty());
  CHECK_FALSE(server.error().empty());
}

TEST_CASE("a peer identity outside the allowed list is refused") {
  const Pki pki = make_pki();
  const Identity server_id = pki.issue("spiffe://cluster.local/ns/default/sa/ratings");
  std::string err;
  auto server_ctx = Context::create(Role::kServer, {server_id.cert, server_id.key, "", false, {}, {}}, err);
  auto client_ctx = Context::create(
      Role::kClient, {"", "", pki.ca.cert, false, {"spiffe://cluster.local/ns/default/sa/reviews"}, {}}, err);
  Session client(client_ctx), server(server_ctx);
  client.write_plaintext("x");
  std::string a, b;
  pump(client, server, a, b);
  CHECK(client.error() == "peer identity is not allowed");
}

TEST_CASE("unusable certificates and keys are clear errors that never echo the key") {
  std::string err;
  CHECK_FALSE(Context::create(Role::kServer, {"not a cert", "", "", false, {}, {}}, err));
  CHECK(err.find("certificate chain") != std::string::npos);
  const Pki pki = make_pki();
  const std::string secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
  CHECK_FALSE(Context::create(Role::kServer, {pki.ca.cert, secret, "", false, {}, {}}, err));
  CHECK(err.find("c2VjcmV0") == std::string::npos);
  const Identity other = make_pki().ca;
  CHECK_FALSE(Context::create(Role::kServer, {pki.ca.cert, other.key, "", false, {}, {}}, err));
  CHECK(err == "private key does not match the certificate");
  std::string cert;
  CHECK_FALSE(sign_csr("garbage", pki.ca.cert, pki.ca.key, 1h, cert, err));
}
