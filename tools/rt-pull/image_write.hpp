// Writing images into the store (rt-pull's side: libarchive, libcrypto).
//
// Every layer goes through one pipeline, whatever its source (a registry,
// an archive, an OCI layout): its bytes are appended to
// ROOT/ingest/<hex>.partial while a worker thread reads them back as they
// arrive, hashes them, decompresses, hashes again and unpacks into
// ROOT/tmp/. Only when the digest, the size and the diff_id all match does
// the blob move to blobs/sha256/ and the layer to layers/<diffid>/ (a
// rename each), and only when every layer is there does index.json name the
// image. A partial download stays in ingest/ so that the next run resumes
// it (Range); a blob that fails verification is deleted.
//
// Locks: a pull holds ROOT/locks/store shared for its whole run (rmi and gc
// take it exclusively), ROOT/locks/<blob hex> while it fetches and unpacks
// that blob (two pulls never fetch the same blob twice), and
// ROOT/locks/index while it rewrites index.json.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fd.hpp"
#include "image_layout.hpp"
#include "image_unpack.hpp"

namespace rt {

struct LayerDesc {
  std::string digest;  // of the blob
  uint64_t size = 0;
  std::string media_type;
  std::string diff_id;  // from the config's rootfs.diff_ids
};

// The bytes of one blob as they arrive: a producer appends to the ingest
// file (write_at + wrote, then finish or fail); the unpacking worker reads
// (ByteSource) and blocks until more is there.
class BlobFeed : public ByteSource {
 public:
  BlobFeed(UniqueFd fd, uint64_t have, uint64_t expected, bool complete, std::atomic<uint64_t>* counter = nullptr);
  int fd() const { return fd_.get(); }
  uint64_t expected() const { return expected_; }
  uint64_t written() const;

  // Producer side (any thread).
  // Write bytes at the end; false (and the feed failed) when they would go
  // beyond the expected size or the file cannot be written.
  bool append(const char* p, size_t n);
  void finish();
  void fail(const std::string& why);
  bool failed() const;

  // Consumer side.
  size_t read(void* buf, size_t n) override;

 private:
  UniqueFd fd_;
  uint64_t expected_;
  std::atomic<uint64_t>* counter_;  // bytes in the file, for progress
  mutable std::mutex m_;
  std::condition_variable cv_;
  uint64_t written_;
  uint64_t read_ = 0;
  bool done_;
  std::string error_;
};

enum class LayerState { queued, waiting, fetching, unpacking, done, present, failed };
const char* layer_state_name(LayerState s);

struct LayerStatus {
  std::atomic<LayerState> state{LayerState::queued};
  std::atomic<uint64_t> fetched{0};     // bytes in the ingest file
  std::atomic<uint64_t> consumed{0};    // bytes read back by the unpacker
  std::atomic<uint64_t> resumed_at{0};  // bytes there from an earlier run
  std::atomic<bool> downloaded{false};  // this run fetched bytes for it
  uint64_t files = 0, file_bytes = 0;   // set when done
};

// Arrange for the blob bytes from offset `from` on to be appended to `feed`
// (then finish() or fail()); may return at once and do it on another thread.
using FetchFn = std::function<void(size_t layer, const std::shared_ptr<BlobFeed>& feed, uint64_t from)>;

class StoreWriter {
 public:
  // Create the layout when missing; hold the store lock (shared). Layers
  // are unpacked within `limits`.
  explicit StoreWriter(std::string root, UnpackLimits limits = {});
  const std::string& root() const { return root_; }
  const UnpackLimits& limits() const { return limits_; }

  bool has_blob(const std::string& digest, uint64_t size) const;
  bool has_layer(const std::string& diff_id) const;
  // Store a small blob (manifest, config) after checking its digest.
  void put_blob(const std::string& digest, std::string_view data);

  struct Commit {
    std::string ref;  // the reference's name in index.json; empty: a dangling image
    std::string manifest_digest, manifest_media_type;
    uint64_t manifest_size = 0;
    std::string repo_digest;  // what the registry served for the reference
    std::string id;           // config digest
    std::string os, architecture, variant;
    uint64_t size = 0;
    int64_t created = 0;
  };
  // Name the image in index.json (replacing what the reference named before).
  void commit(const Commit& c);

  // Unpacked size of a stored layer (its info.json), 0 when unknown.
  uint64_t layer_size(const std::string& diff_id) const;

 private:
  std::string root_;
  UnpackLimits limits_;
  layout::Lock store_lock_;
};

// The layers of one image, `concurrency` at a time, on worker threads.
class LayerJobs {
 public:
  LayerJobs(StoreWriter& store, std::vector<LayerDesc> layers, int concurrency, FetchFn fetch,
            std::function<void()> notify);
  ~LayerJobs();  // abort() and join
  LayerJobs(const LayerJobs&) = delete;
  LayerJobs& operator=(const LayerJobs&) = delete;

  bool finished() const { return finished_.load() == static_cast<int>(layers_.size()); }
  bool failed() const { return failed_.load(); }
  void abort();
  // Join the workers; throw the first error.
  void wait();
  const std::vector<LayerDesc>& layers() const { return layers_; }
  LayerStatus& status(size_t i) { return *status_[i]; }

 private:
  void worker();
  void run_one(size_t i);
  void fail(const std::string& why);

  StoreWriter& store_;
  std::vector<LayerDesc> layers_;
  FetchFn fetch_;
  std::function<void()> notify_;
  std::vector<std::unique_ptr<LayerStatus>> status_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
  std::atomic<int> finished_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> aborted_{false};
  std::mutex m_;
  std::string error_;
  std::vector<std::weak_ptr<BlobFeed>> feeds_;
  bool owners_;      // root (of a user namespace too): keep owners
  bool privileged_;  // the host's root: device nodes, trusted.* xattrs
};

}  // namespace rt
