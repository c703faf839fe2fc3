// Image references, normalized as docker does:
//
//   alpine                      docker.io/library/alpine:latest
//   user/app:1.0                docker.io/user/app:1.0
//   host:5000/ns/name           host:5000/ns/name:latest
//   name@sha256:<64 hex>        docker.io/library/name@sha256:...
//   name:tag@sha256:<64 hex>    docker.io/library/name:tag@sha256:...  (the digest wins)
//
// No library beyond the standard one: rt-run and rt-repl link this.
#pragma once
#include <string>
#include <string_view>

namespace rt {

struct Reference {
  std::string registry;    // "docker.io", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;  // "library/alpine"
  std::string tag;         // "latest"; empty when only a digest was given
  std::string digest;      // "sha256:<hex>" or empty

  // registry/repository
  std::string name() const { return registry + "/" + repository; }
  // The normalized form: registry/repository[:tag][@digest].
  std::string str() const;
  // What docker prints: "alpine:latest", "user/app:1.0", "host:5000/x:y".
  std::string familiar() const;
  // The tag or, when there is one, the digest: what the registry is asked for.
  const std::string& target() const { return digest.empty() ? tag : digest; }
  bool operator==(const Reference&) const = default;
};

// Parse and normalize. Throws rt::Error("invalid reference 'X': why").
Reference parse_reference(std::string_view s);
std::string normalize_reference(std::string_view s);

// "sha256:<64 lowercase hex>"?
bool is_sha256_digest(std::string_view s);
// True for registries docker reaches over plain http without being told:
// localhost, 127.0.0.0/8 and ::1 (with or without a port).
bool is_loopback_registry(std::string_view registry);

}  // namespace rt
