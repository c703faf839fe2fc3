// A client of the registry HTTP API (distribution spec v2), on libcurl's
// multi interface: one thread drives every transfer.
//
// - Accept: OCI index and manifest, Docker manifest list and schema 2.
// - Auth: on 401 the WWW-Authenticate challenge is answered: Bearer (a token
//   from the realm, anonymous or with the docker config's credentials, one
//   per repository scope, reused until it expires) or Basic.
// - Redirects (blob CDNs) are followed here, never by curl, and the
//   registry's Authorization header is only sent back to the same origin.
// - http only for loopback registries and --insecure ones (which try https
//   without verification first); everything else https with the system CAs.
//   Proxies come from the environment (libcurl).
// - Retries with backoff on 429 and 5xx (Retry-After honoured) and on
//   dropped connections; blob downloads resume with Range.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "image_ref.hpp"

namespace rt {

struct RegistryOptions {
  bool insecure = false;  // http, or https without verification, for this registry
  std::string user_agent = "rt";
};

struct FetchedManifest {
  std::string digest;      // sha256 of the bytes
  std::string media_type;  // from the document, else Content-Type
  std::string body;
};

class RegistryClient {
 public:
  RegistryClient(const Reference& ref, RegistryOptions opt);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // The digest the registry gives for a tag or digest (HEAD, which Docker
  // Hub does not count against the rate limit); nullopt when it does not
  // say (no Docker-Content-Digest header). Throws rt::Error.
  std::optional<std::string> head_manifest(const std::string& target);
  // GET a manifest or index. When `target` is a digest the bytes must hash
  // to it. Throws rt::Error with what the registry said.
  FetchedManifest get_manifest(const std::string& target);
  // GET a small blob (a config), verified against its digest.
  std::string get_blob(const std::string& digest, uint64_t max_size);

  // Stream a blob from byte `from` on. on_data gets the bytes in order
  // (return false to abort); on_done gets "" on success or why it failed.
  // Call from the thread that calls poll().
  using DataFn = std::function<bool(const char*, size_t)>;
  using DoneFn = std::function<void(const std::string& error)>;
  void start_blob(const std::string& digest, uint64_t from, DataFn on_data, DoneFn on_done);
  // Run transfers: wait up to timeout_ms for something to happen.
  void poll(int timeout_ms);
  // Interrupt poll() from another thread.
  void wakeup();
  // Abort every blob transfer (their on_done is not called).
  void cancel_all();
  size_t active_blobs() const;

  // Counters, for --json and tests.
  uint64_t requests() const;
  uint64_t token_requests() const;
  const std::string& endpoint() const;  // "https://registry-1.docker.io"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rt
