// SHA-256 digests (OpenSSL EVP, libcrypto) as the OCI image spec writes them.
#pragma once
#include <openssl/evp.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace rt {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // "sha256:<64 hex>"; the object is spent after this.
  std::string digest();
  uint64_t bytes() const { return bytes_; }

 private:
  EVP_MD_CTX* ctx_;
  uint64_t bytes_ = 0;
};

// "sha256:<hex>" of a buffer.
std::string sha256_digest(std::string_view data);
// The hex part of "sha256:<hex>" (the input unchanged when there is no "sha256:").
inline std::string_view digest_hex(std::string_view d) { return d.substr(0, 7) == "sha256:" ? d.substr(7) : d; }

}  // namespace rt
