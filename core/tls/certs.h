// Keys and certificates for the mesh's CA and workloads. Workloads make their
// own key and send only a CSR; the CA signs it. Private keys stay in the process
// that generated them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mesh::tls {

struct CertSubject {
  std::string common_name;
  std::vector<std::string> uri_sans;  // e.g. spiffe://cluster.local/ns/default/sa/reviews
  std::vector<std::string> dns_sans;
};

// A new ECDSA P-256 private key, PEM (PKCS#8). Empty on failure.
std::string generate_private_key();

// A self-signed CA certificate for `key_pem`.
bool make_ca_certificate(const std::string& key_pem, const CertSubject& subject,
                         std::chrono::seconds validity, std::string& cert_pem, std::string& error);

// A certificate signing request for `key_pem`.
bool make_csr(const std::string& key_pem, const CertSubject& subject, std::string& csr_pem,
              std::string& error);

// Signs a CSR with the CA: a leaf certificate (not a CA) valid for `validity`,
// carrying the CSR's subject alternative names. The CSR's signature is checked.
bool sign_csr(const std::string& csr_pem, const std::string& ca_cert_pem, const std::string& ca_key_pem,
              std::chrono::seconds validity, std::string& cert_pem, std::string& error);

}  // namespace mesh::tls
