// The local image store: what rt-run, rt-repl and rt-pull read.
//
// The store under ROOT is an OCI image layout (skopeo and umoci can read it:
// `skopeo inspect oci:ROOT:docker.io/library/alpine:latest`) plus each layer
// unpacked once per diff_id in ROOT/layers/<hex>/fs, ready to be an
// overlayfs lower directory. Whiteouts in unpacked layers are what overlayfs
// understands: a character device 0/0 for a deleted file, the xattr
// trusted.overlay.opaque=y (user.overlay.opaque=y when unpacked without
// root) on an opaque directory.
//
// Nothing here links libcurl, libarchive or libcrypto (see image_layout.hpp
// for the files and locks).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "image_layout.hpp"
#include "image_ref.hpp"
#include "paths.hpp"

namespace rt {

// The store's default place is default_image_root(), containers' state
// default_state_root() (paths.hpp): STATE/containers/<id>/state.json.

// What the image's config says a container runs as (the "config" object of
// the OCI image config). Unset values are empty.
struct ImageConfig {
  std::vector<std::string> entrypoint, cmd, env;  // env: "KEY=VALUE"
  std::string workdir, user, stop_signal;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> volumes;        // "/data"
  std::string os, architecture, variant;   // the image's platform
};

struct LocalImage {
  std::string id;                       // "sha256:<config digest hex>"
  std::string ref;                      // normalized reference it was found by; empty for id lookups
  std::string manifest_digest;          // the platform manifest in the store
  std::string repo_digest;              // what the registry served for the reference (may be an index)
  std::vector<std::string> layer_dirs;  // absolute, TOP-MOST FIRST (overlayfs lowerdir order)
  std::vector<std::string> diff_ids;    // the config's rootfs.diff_ids, bottom-most first
  ImageConfig config;
  uint64_t size = 0;    // unpacked bytes
  int64_t created = 0;  // seconds since the epoch (the config's "created"), 0 unknown
};

struct ImageSummary {
  std::string ref;         // normalized reference; empty for a dangling image
  std::string repository;  // "docker.io/library/alpine", "<none>"
  std::string tag;         // "latest", "<none>"
  std::string id;          // "sha256:..."
  std::string manifest_digest;
  int64_t created = 0;
  uint64_t size = 0;
  bool complete = true;  // every layer unpacked
};

// Find an image by normalized reference, full id ("sha256:<hex>" or "<hex>")
// or a unique id prefix of at least 4 hex digits, as docker does. nullopt
// when there is no such image, or when it is not completely unpacked (a pull
// completes it). Throws rt::Error for an ambiguous prefix, a bad reference
// that is not an id prefix either, or an unreadable store.
std::optional<LocalImage> find_image(const std::string& root, const std::string& ref_or_id);

// Every reference in the store, and dangling images (no reference) once,
// sorted by repository and tag.
std::vector<ImageSummary> list_images(const std::string& root);
// The summaries as JSON (rt-pull --list --json, rt-repl images --json): an
// array of {repository, tag, reference, id, manifest_digest, created (RFC
// 3339 as docker inspect prints it, "" when unknown), size, complete}.
nlohmann::ordered_json images_json(const std::vector<ImageSummary>& images);
// One image as JSON (rt-pull --inspect, rt-repl inspect IMAGE, which adds
// "type":"image"): {repository, tag, reference (all "" when found by id),
// id, manifest_digest, repo_digest, created (as above), size, os,
// architecture, variant, diff_ids (bottom-most first), layers (the unpacked
// layer directories, top-most first), config {entrypoint, cmd, env,
// workdir, user, stop_signal, labels, exposed_ports, volumes}}.
nlohmann::ordered_json image_json(const LocalImage& image);

struct RemoveResult {
  std::vector<std::string> untagged;  // references removed
  std::vector<std::string> deleted;   // the image id, then the diff_ids of the layers freed
};

// rmi. By reference: untag it, and delete the image when it was its last
// reference. By id: remove all its references (more than one needs force).
// An image a container uses (STATE/containers/*/state.json whose
// "image":{"id":...} names it, whatever the container's status) is never
// deleted: without force that is an error; with force its references go and
// the image stays as a dangling one until the container is removed. Blobs
// and layers other images share stay. Empty state_root means
// default_state_root(). Throws rt::Error with a message for the user.
RemoveResult remove_image(const std::string& root, const std::string& ref_or_id, const std::string& state_root,
                          bool force);

struct GcResult {
  size_t images = 0;  // dangling images removed
  size_t blobs = 0, layers = 0, temps = 0;
  uint64_t bytes = 0;
};
// Remove dangling images (index.json entries without a name, e.g. what a
// reference named before a pull moved it) that no container
// (STATE/containers/*/state.json) uses; then free every blob and layer that
// no image and no container needs, and leftovers of interrupted pulls
// (partial downloads, half-unpacked layers). Waits for running pulls to
// finish. Empty state_root means default_state_root().
GcResult gc_store(const std::string& root, const std::string& state_root = "");

// Hold this (shared) while creating a container from an image found with
// find_image, so that a concurrent rmi waits until state.json names it.
// Returns an empty lock when the store does not exist.
layout::Lock lock_store_shared(const std::string& root);

// "docker.io/library/alpine:latest" -> {"docker.io/library/alpine", "latest"};
// "x@sha256:..." -> {"x", "<none>"} (as docker lists digest references).
std::pair<std::string, std::string> split_repository_tag(const std::string& ref);

}  // namespace rt
