// Owning pointers and small helpers over the OpenSSL-style C API.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace mesh::tls {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ReqFree {
  void operator()(X509_REQ* r) const { X509_REQ_free(r); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using ReqPtr = std::unique_ptr<X509_REQ, ReqFree>;

// The newest error on this thread's OpenSSL error queue, and clears the queue.
std::string last_ssl_error();
// URI subject alternative names of a certificate.
std::vector<std::string> uri_sans(X509* cert);
// Contents of a memory BIO.
std::string bio_contents(BIO* bio);

}  // namespace mesh::tls
