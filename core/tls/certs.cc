#include "core/tls/certs.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "core/tls/openssl_util.h"

namespace mesh::tls {
namespace {

PkeyPtr read_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

X509Ptr read_cert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string san_text(const CertSubject& subject) {
  std::string out;
  for (const auto& uri : subject.uri_sans) out += (out.empty() ? "URI:" : ",URI:") + uri;
  for (const auto& dns : subject.dns_sans) out += (out.empty() ? "DNS:" : ",DNS:") + dns;
  return out;
}

X509_NAME* make_name(const CertSubject& subject) {
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("mesh"), -1, -1, 0);
  if (!subject.common_name.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(subject.common_name.c_str()), -1, -1, 0);
  }
  return name;
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate with a random serial and the validity window, not yet signed.
X509Ptr new_cert(EVP_PKEY* subject_key, X509_NAME* subject, std::chrono::seconds validity) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);  // tolerate clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count()));
  X509_set_subject_name(cert.get(), subject);
  X509_set_pubkey(cert.get(), subject_key);
  return cert;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bio_contents(bio.get());
}

}  // namespace

std::string generate_private_key() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
  EVP_PKEY* raw = nullptr;
  const bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 &&
                  EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1 &&
                  EVP_PKEY_keygen(ctx, &raw) == 1;
  EVP_PKEY_CTX_free(ctx);
  PkeyPtr key(raw);
  if (!ok) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_contents(bio.get());
}

bool make_ca_certificate(const std::string& key_pem, const CertSubject& subject, std::chrono::seconds validity,
                         std::string& cert_pem, std::string& error) {
  PkeyPtr key = read_key(key_pem);
  if (!key) return error = "CA key is not a PEM private key", false;
  X509_NAME* name = make_name(subject);
  X509Ptr cert = new_cert(key.get(), name, validity);
  X509_set_issuer_name(cert.get(), name);
  X509_NAME_free(name);
  bool ok = add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE") &&
            add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") &&
            add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (ok && !san_text(subject).empty()) ok = add_ext(cert.get(), cert.get(), NID_subject_alt_name, san_text(subject));
  if (!ok || X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return error = "cannot build CA certificate: " + last_ssl_error(), false;
  }
  cert_pem = to_pem(cert.get());
  return true;
}

bool make_csr(const std::string& key_pem, const CertSubject& subject, std::string& csr_pem, std::string& error) {
  PkeyPtr key = read_key(key_pem);
  if (!key) return error = "key is not a PEM private key", false;
  ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = make_name(subject);
  X509_REQ_set_subject_name(req.get(), name);
  X509_NAME_free(name);
  X509_REQ_set_pubkey(req.get(), key.get());
  if (!san_text(subject).empty()) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, nullptr, NID_subject_alt_name,
                                              san_text(subject).c_str());
    if (ext != nullptr) sk_X509_EXTENSION_push(exts, ext);
    const bool added = ext != nullptr && X509_REQ_add_extensions(req.get(), exts) == 1;
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (!added) return error = "cannot add subject alternative names: " + last_ssl_error(), false;
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) == 0) {
    return error = "cannot sign CSR: " + last_ssl_error(), false;
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  csr_pem = bio_contents(bio.get());
  return true;
}

bool sign_csr(const std::string& csr_pem, const std::string& ca_cert_pem, const std::string& ca_key_pem,
              std::chrono::seconds validity, std::string& cert_pem, std::string& error) {
  BioPtr bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return error = "CSR is not PEM", false;
  PkeyPtr subject_key(X509_REQ_get_pubkey(req.get()));
  if (!subject_key || X509_REQ_verify(req.get(), subject_key.get()) != 1) {
    return error = "CSR signature does not verify", false;
  }
  X509Ptr ca = read_cert(ca_cert_pem);
  PkeyPtr ca_key = read_key(ca_key_pem);
  if (!ca || !ca_key) return error = "CA certificate or key unusable", false;
  X509Ptr cert = new_cert(subject_key.get(), X509_REQ_get_subject_name(req.get()), validity);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  bool ok = add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") &&
            add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
            add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  if (STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req.get())) {
    for (size_t i = 0; ok && i < static_cast<size_t>(sk_X509_EXTENSION_num(exts)); ++i) {
      X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts, i);
      if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_subject_alt_name) ok = X509_add_ext(cert.get(), ext, -1) == 1;
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  if (!ok || X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
    return error = "cannot sign certificate: " + last_ssl_error(), false;
  }
  cert_pem = to_pem(cert.get());
  return true;
}

}  // namespace mesh::tls
