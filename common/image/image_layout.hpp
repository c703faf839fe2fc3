// The on-disk layout of the image store (shared by the store's readers in
// image_store.cpp and its writer, rt-pull's image_write.cpp). No curl, no
// archive, no crypto: rt-run links this.
//
//   ROOT/oci-layout                 {"imageLayoutVersion":"1.0.0"}
//   ROOT/index.json                 OCI index; one descriptor per reference
//   ROOT/blobs/sha256/<hex>         manifests, configs, layer blobs
//   ROOT/layers/<diffid hex>/fs/    an unpacked layer (overlayfs lower dir)
//   ROOT/layers/<diffid hex>/info.json   {"size":..., "files":...}
//   ROOT/ingest/<hex>.partial       a download in progress (resumable)
//   ROOT/tmp/                       layers being unpacked, temp files
//   ROOT/locks/                     flock(2) files: store, index, <hex>
//
// The store and layers/ are mode 0700: unpacked layers hold set-uid files.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"

namespace rt::layout {

using json = nlohmann::json;

inline constexpr const char* kRefName = "org.opencontainers.image.ref.name";
inline constexpr const char* kAnnId = "io.rt.image.id";             // config digest
inline constexpr const char* kAnnRepoDigest = "io.rt.repo.digest";  // what the registry served for the reference
inline constexpr const char* kAnnSize = "io.rt.image.size";         // unpacked bytes
inline constexpr const char* kAnnCreated = "io.rt.image.created";   // seconds since the epoch

inline constexpr const char* kMediaOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kMediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kMediaDockerConfig = "application/vnd.docker.container.image.v1+json";

std::string blob_path(const std::string& root, std::string_view digest);
std::string layer_path(const std::string& root, std::string_view diff_id);  // .../layers/<hex>
std::string layer_fs(const std::string& root, std::string_view diff_id);    // .../layers/<hex>/fs

// Create what is missing of the layout (directories, oci-layout,
// index.json). Safe against concurrent callers.
void ensure_layout(const std::string& root);
// True when ROOT holds an index.json.
bool layout_exists(const std::string& root);

// An flock(2) on ROOT/locks/NAME, released on destruction.
class Lock {
 public:
  Lock() = default;
  // Blocks until taken. Throws rt::Error.
  Lock(const std::string& root, const std::string& name, bool exclusive);
  // Non-blocking attempt: an empty Lock when somebody else holds it.
  static Lock try_take(const std::string& root, const std::string& name, bool exclusive);
  explicit operator bool() const { return static_cast<bool>(fd_); }

 private:
  UniqueFd fd_;
};

// index.json, read whole (an empty index when the file is missing).
json read_index(const std::string& root);
// Replace index.json atomically. Call with the "index" lock held.
void write_index(const std::string& root, const json& index);

// A blob's bytes (throws naming the blob when it is missing). Blobs are
// capped at `max` bytes: manifests and configs are small.
std::string read_blob(const std::string& root, std::string_view digest, size_t max = 16u << 20);

// A descriptor's annotation KEY: "" when it has none, or one that is not a
// string (a hand-edited or foreign index.json).
std::string annotation(const json& desc, std::string_view key);
// Make an index.json descriptor dangling: its name removed, the image id
// recorded in its annotations (so that it is found without its manifest).
void make_dangling(json& desc, const std::string& image_id);

// The config digest an index.json descriptor leads to ("" when it cannot be
// found): our annotation, else through the manifest blob.
std::string entry_image_id(const std::string& root, const json& desc);

}  // namespace rt::layout
