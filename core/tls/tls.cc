#include "core/tls/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/tls/openssl_util.h"

namespace mesh::tls {
namespace {

bool use_cert_chain(SSL_CTX* ctx, const std::string& pem, std::string& error) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    error = "certificate chain: no usable PEM certificate: " + last_ssl_error();
    return false;
  }
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {  // takes ownership on success
      X509_free(extra);
      error = "certificate chain: " + last_ssl_error();
      return false;
    }
  }
  ERR_clear_error();  // the loop ends on an expected "no start line"
  return true;
}

bool use_private_key(SSL_CTX* ctx, const std::string& pem, std::string& error) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    error = "private key: not a usable PEM private key";  // never echo key material
    return false;
  }
  // BoringSSL refuses a mismatched key here already; OpenSSL at the check below.
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    error = "private key does not match the certificate";
    return false;
  }
  return true;
}

bool use_trust_roots(SSL_CTX* ctx, const std::string& pem, std::string& error) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      error = "CA certificates: " + last_ssl_error();
      return false;
    }
    ++added;
  }
  ERR_clear_error();
  if (added == 0) {
    error = "CA certificates: no PEM certificate found";
    return false;
  }
  return true;
}

// Wire format for ALPN: length-prefixed names.
std::string alpn_wire(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out.push_back(static_cast<char>(n.size()));
    out += n;
  }
  return out;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned in_len, void* arg) {
  const auto* ours = static_cast<const std::vector<std::string>*>(arg);
  for (const std::string& want : *ours) {  // our preference order
    for (unsigned i = 0; i < in_len; i += 1 + in[i]) {
      if (in[i] == want.size() && want.compare(0, want.size(), reinterpret_cast<const char*>(in + i + 1), in[i]) == 0) {
        *out = in + i + 1;
        *out_len = in[i];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::shared_ptr<const Context> Context::create(Role role, const TlsConfig& config, std::string& error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) {
    error = "cannot create TLS context: " + last_ssl_error();
    return nullptr;
  }
  std::shared_ptr<Context> out(new Context(role, ctx, config));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (!config.cert_chain_pem.empty() && !use_cert_chain(ctx, config.cert_chain_pem, error)) return nullptr;
  if (!config.private_key_pem.empty() && !use_private_key(ctx, config.private_key_pem, error)) return nullptr;
  if (!config.ca_pem.empty()) {
    if (!use_trust_roots(ctx, config.ca_pem, error)) return nullptr;
    int mode = SSL_VERIFY_PEER;
    if (role == Role::kServer && config.require_peer_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
  } else if (role == Role::kServer && config.require_peer_cert) {
    error = "mutual TLS needs CA certificates to verify clients";
    return nullptr;
  }
  if (!config.alpn.empty()) {
    if (role == Role::kClient) {
      const std::string wire = alpn_wire(config.alpn);
      SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned>(wire.size()));
    } else {
      SSL_CTX_set_alpn_select_cb(ctx, select_alpn, const_cast<std::vector<std::string>*>(&out->config_.alpn));
    }
  }
  return out;
}

Context::~Context() { SSL_CTX_free(ctx_); }

Session::Session(std::shared_ptr<const Context> context, std::string_view sni) : context_(std::move(context)) {
  ssl_ = SSL_new(context_->raw());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, in_, out_);  // ssl_ owns both BIOs now
  if (context_->role() == Role::kServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    if (!sni.empty()) SSL_set_tlsext_host_name(ssl_, std::string(sni).c_str());
  }
}

Session::~Session() { SSL_free(ssl_); }

bool Session::fail(std::string what) {
  if (error_.empty()) error_ = std::move(what);
  return false;
}

bool Session::feed_ciphertext(std::string_view data) {
  if (BIO_write(in_, data.data(), static_cast<int>(data.size())) != static_cast<int>(data.size())) {
    return fail("TLS input buffer write failed");
  }
  return true;
}

bool Session::drive_handshake() {
  if (handshake_done_) return true;
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    const auto& allowed = context_->config().allowed_peer_uris;
    if (!allowed.empty()) {
      bool ok = false;
      for (const std::string& uri : peer_uri_sans()) {
        for (const std::string& want : allowed) ok = ok || uri == want;
      }
      if (!ok) return fail("peer identity is not allowed");
    }
    return flush_pending_writes();
  }
  const int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
  return fail("TLS handshake failed: " + last_ssl_error());
}

bool Session::read_plaintext(std::string& out) {
  if (!drive_handshake() || !handshake_done_) return error_.empty();
  char buf[16384];
  for (;;) {
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
    if (err == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      return true;
    }
    return fail("TLS read failed: " + last_ssl_error());
  }
}

bool Session::write_plaintext(std::string_view data) {
  pending_plain_.append(data);
  if (!drive_handshake()) return false;
  return !handshake_done_ || flush_pending_writes();
}

bool Session::flush_pending_writes() {
  while (!pending_plain_.empty()) {
    const int n = SSL_write(ssl_, pending_plain_.data(), static_cast<int>(pending_plain_.size()));
    if (n <= 0) return fail("TLS write failed: " + last_ssl_error());
    pending_plain_.erase(0, static_cast<size_t>(n));
  }
  return true;
}

void Session::take_ciphertext(std::string& out) {
  char buf[16384];
  int n;
  while ((n = BIO_read(out_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
}

void Session::shutdown() { SSL_shutdown(ssl_); }

std::vector<std::string> Session::peer_uri_sans() const {
  X509Ptr cert(SSL_get_peer_certificate(ssl_));
  return cert ? uri_sans(cert.get()) : std::vector<std::string>{};
}

std::string Session::negotiated_alpn() const {
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return data ? std::string(reinterpret_cast<const char*>(data), len) : std::string();
}

}  // namespace mesh::tls
