// rt-pull's work: from a registry (pull) or from an archive or an OCI
// layout (import) into the store, through rt::StoreWriter and LayerJobs.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "image_ref.hpp"
#include "image_write.hpp"
#include "progress.hpp"

namespace rt::pull {

using json = nlohmann::json;

struct Platform {
  std::string os, arch, variant;
  std::string str() const { return os + "/" + arch + (variant.empty() ? "" : "/" + variant); }
};
Platform host_platform();
Platform parse_platform(const std::string& s);  // "os/arch[/variant]"; throws rt::Error

struct Options {
  std::string root;
  Platform platform;
  bool platform_given = false;
  bool insecure = false;
  int max_concurrent = 3;
  UnpackLimits limits;  // per layer
  std::string tag;      // --tag for imports
  Progress* progress = nullptr;
};

struct LayerReport {
  std::string digest, diff_id;
  uint64_t size = 0;
  std::string status;  // "downloaded", "unpacked", "present"
};

struct Result {
  std::string id;                 // config digest
  std::vector<std::string> refs;  // where it was stored; empty: dangling
  std::string manifest_digest, repo_digest;
  std::string platform;
  std::vector<LayerReport> layers;
  bool up_to_date = false;
  uint64_t downloaded = 0;  // blob bytes fetched by this run
  uint64_t size = 0;        // unpacked bytes
  json to_json() const;
};

// Pull REF into the store.
Result pull_image(const Reference& ref, const Options& opt);
// Import a docker-archive or OCI archive FILE, or "oci:DIR[:TAG]".
std::vector<Result> import_images(const std::string& source, const Options& opt);

// ---- shared by pull and import ----

// An image manifest, parsed and checked: the config and the layers.
struct ImageManifest {
  std::string digest, media_type, body;
  std::string config_digest;
  uint64_t config_size = 0;
  std::vector<LayerDesc> layers;  // diff_id filled in from the config later
};
ImageManifest parse_image_manifest(const std::string& digest, const std::string& body, const std::string& what);
// From an index: the manifest for the platform (throws naming what there is).
json select_platform(const json& index, const Platform& want, const std::string& what);
bool is_index_media(const std::string& mt, const json& doc);

struct ConfigInfo {
  std::string os, arch, variant;
  std::vector<std::string> diff_ids;
  int64_t created = 0;
};
ConfigInfo parse_config(const std::string& body, const std::string& what);

// Unpack `m`'s layers (diff_ids from `cfg`) with `fetch`, store the
// manifest and name the image `refs` (none: dangling).
Result store_image(StoreWriter& store, const ImageManifest& m, const std::string& config_body, const ConfigInfo& cfg,
                   const std::vector<std::string>& refs, const std::string& repo_digest, const Options& opt,
                   const FetchFn& fetch, const std::function<void()>& notify, const std::function<void()>& pump,
                   const std::function<void()>& on_abort);

}  // namespace rt::pull
