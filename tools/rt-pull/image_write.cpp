#include "image_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "dir.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "image_digest.hpp"
#include "image_ref.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "userns.hpp"

namespace rt {

using layout::json;

// ---- BlobFeed ----

BlobFeed::BlobFeed(UniqueFd fd, uint64_t have, uint64_t expected, bool complete, std::atomic<uint64_t>* counter)
    : fd_(std::move(fd)), expected_(expected), counter_(counter), written_(have), done_(complete) {}

uint64_t BlobFeed::written() const {
  std::lock_guard lk(m_);
  return written_;
}

bool BlobFeed::failed() const {
  std::lock_guard lk(m_);
  return !error_.empty();
}

bool BlobFeed::append(const char* p, size_t n) {
  uint64_t at;
  {
    std::lock_guard lk(m_);
    if (!error_.empty() || done_) return false;
    at = written_;
  }
  if (at + n > expected_) {
    fail(str("the registry sent more than the ", expected_, " bytes the manifest gives for this blob"));
    return false;
  }
  size_t off = 0;
  while (off < n) {
    ssize_t w = ::pwrite(fd_.get(), p + off, n - off, static_cast<off_t>(at + off));
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(str("cannot write the download to disk: ", std::strerror(errno)));
      return false;
    }
    off += static_cast<size_t>(w);
  }
  {
    std::lock_guard lk(m_);
    written_ = at + n;
  }
  if (counter_) counter_->store(at + n, std::memory_order_relaxed);
  cv_.notify_one();
  return true;
}

void BlobFeed::finish() {
  {
    std::lock_guard lk(m_);
    done_ = true;
  }
  cv_.notify_all();
}

void BlobFeed::fail(const std::string& why) {
  {
    std::lock_guard lk(m_);
    if (error_.empty()) error_ = why.empty() ? "failed" : why;
    done_ = true;
  }
  cv_.notify_all();
}

size_t BlobFeed::read(void* buf, size_t n) {
  uint64_t at, avail;
  {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return read_ < written_ || done_ || !error_.empty(); });
    if (!error_.empty()) throw Error(error_);
    if (read_ >= written_) return 0;
    at = read_;
    avail = written_ - read_;
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(avail, n));
  size_t got = 0;
  while (got < want) {
    ssize_t r = ::pread(fd_.get(), static_cast<char*>(buf) + got, want - got, static_cast<off_t>(at + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read back the download");
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  std::lock_guard lk(m_);
  read_ += got;
  return got;
}

const char* layer_state_name(LayerState s) {
  switch (s) {
    case LayerState::queued: return "queued";
    case LayerState::waiting: return "waiting";
    case LayerState::fetching: return "fetching";
    case LayerState::unpacking: return "unpacking";
    case LayerState::done: return "done";
    case LayerState::present: return "already present";
    case LayerState::failed: return "failed";
  }
  return "?";
}

// ---- StoreWriter ----

namespace {

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return str(::getpid(), ".", counter.fetch_add(1));
}

void fsync_dir(const std::string& path) {
  UniqueFd d(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d) ::fsync(d.get());
}

// Remove ROOT/tmp/<prefix>* (what a killed pull left of this blob).
void remove_leftovers(const std::string& root, const std::string& prefix) {
  std::string dir = root + "/tmp";
  for (const auto& n : dir_names(dir)) {
    if (!starts_with(n, prefix)) continue;
    log::debug("removing ", dir, "/", n, " (left by an interrupted pull)");
    remove_tree(dir + "/" + n);
  }
}

}  // namespace

StoreWriter::StoreWriter(std::string root, UnpackLimits limits) : root_(std::move(root)), limits_(limits) {
  layout::ensure_layout(root_);
  store_lock_ = layout::Lock(root_, "store", false);
}

bool StoreWriter::has_blob(const std::string& digest, uint64_t size) const {
  struct stat st {};
  if (::stat(layout::blob_path(root_, digest).c_str(), &st) != 0) return false;
  return size == 0 || static_cast<uint64_t>(st.st_size) == size;
}

bool StoreWriter::has_layer(const std::string& diff_id) const { return is_dir(layout::layer_fs(root_, diff_id)); }

uint64_t StoreWriter::layer_size(const std::string& diff_id) const {
  auto text = try_read_file(layout::layer_path(root_, diff_id) + "/info.json");
  if (!text) return 0;
  json j = json::parse(*text, nullptr, false);
  return j.is_object() && j.contains("size") && j["size"].is_number_unsigned() ? j["size"].get<uint64_t>() : 0;
}

void StoreWriter::put_blob(const std::string& digest, std::string_view data) {
  std::string got = sha256_digest(data);
  if (got != digest) throw Error(str("blob ", digest, " failed verification: its content hashes to ", got));
  if (has_blob(digest, data.size())) return;
  std::string tmp = str(root_, "/tmp/blob-", unique_suffix());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw_errno(str("cannot create ", tmp));
  try {
    write_all(fd.get(), data, tmp);
  } catch (const Error&) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::fsync(fd.get()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno(str("cannot write ", tmp), e);
  }
  std::string dst = layout::blob_path(root_, digest);
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno(str("cannot store blob ", dst), e);
  }
}

void StoreWriter::commit(const Commit& c) {
  json desc = {{"mediaType", c.manifest_media_type}, {"digest", c.manifest_digest}, {"size", c.manifest_size}};
  json ann = json::object();
  if (!c.ref.empty()) ann[layout::kRefName] = c.ref;
  ann[layout::kAnnId] = c.id;
  if (!c.repo_digest.empty()) ann[layout::kAnnRepoDigest] = c.repo_digest;
  ann[layout::kAnnSize] = std::to_string(c.size);
  if (c.created) ann[layout::kAnnCreated] = std::to_string(c.created);
  desc["annotations"] = ann;
  if (!c.os.empty() && !c.architecture.empty()) {
    json p = {{"architecture", c.architecture}, {"os", c.os}};
    if (!c.variant.empty()) p["variant"] = c.variant;
    desc["platform"] = p;
  }
  // The renames of blobs and layers reach the disk before index.json names them.
  fsync_dir(root_ + "/blobs/sha256");
  fsync_dir(root_ + "/layers");
  layout::Lock lk(root_, "index", true);
  json index = layout::read_index(root_);
  json kept = json::array();
  bool dup = false;
  std::vector<json> moved_from;  // images the reference named before
  auto name_of = [](const json& d) { return layout::annotation(d, layout::kRefName); };
  for (const auto& d : index["manifests"]) {
    std::string name = name_of(d);
    bool same_image = layout::entry_image_id(root_, d) == c.id;
    if (!c.ref.empty() && name == c.ref) {  // the reference moves to the new image
      if (!same_image) moved_from.push_back(d);
      continue;
    }
    if (name.empty() && same_image && !c.ref.empty()) continue;  // no longer dangling
    if (c.ref.empty() && same_image) dup = true;                 // already there (named or not)
    kept.push_back(d);
  }
  // An image that loses its last name stays, nameless, as docker keeps it:
  // a container may use it; rmi or gc decide.
  for (auto& old : moved_from) {
    std::string old_id = layout::entry_image_id(root_, old);
    bool named = false, dangling = false;
    for (const auto& d : kept)
      if (layout::entry_image_id(root_, d) == old_id) (name_of(d).empty() ? dangling : named) = true;
    if (named || dangling || old_id.empty()) continue;
    layout::make_dangling(old, old_id);
    kept.push_back(old);
  }
  if (!dup) kept.push_back(desc);
  index["manifests"] = kept;
  layout::write_index(root_, index);
}

// ---- LayerJobs ----

LayerJobs::LayerJobs(StoreWriter& store, std::vector<LayerDesc> layers, int concurrency, FetchFn fetch,
                     std::function<void()> notify)
    : store_(store),
      layers_(std::move(layers)),
      fetch_(std::move(fetch)),
      notify_(std::move(notify)),
      owners_(::geteuid() == 0),
      privileged_(owners_ && in_initial_userns()) {
  for (size_t i = 0; i < layers_.size(); ++i) status_.push_back(std::make_unique<LayerStatus>());
  int n = std::max(1, std::min<int>(concurrency, static_cast<int>(layers_.size())));
  for (int i = 0; i < n && !layers_.empty(); ++i) threads_.emplace_back([this] { worker(); });
}

LayerJobs::~LayerJobs() {
  abort();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void LayerJobs::abort() {
  aborted_ = true;
  std::vector<std::shared_ptr<BlobFeed>> live;
  {
    std::lock_guard lk(m_);
    for (auto& w : feeds_)
      if (auto f = w.lock()) live.push_back(f);
  }
  for (auto& f : live) f->fail("interrupted");
}

void LayerJobs::fail(const std::string& why) {
  {
    std::lock_guard lk(m_);
    if (error_.empty()) error_ = why;
  }
  failed_ = true;
  abort();
}

void LayerJobs::wait() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard lk(m_);
  if (!error_.empty()) throw Error(error_);
}

void LayerJobs::worker() {
  for (;;) {
    size_t i = next_.fetch_add(1);
    if (i >= layers_.size() || aborted_) break;
    try {
      run_one(i);
    } catch (const std::exception& e) {
      status_[i]->state = LayerState::failed;
      fail(e.what());
    }
    finished_.fetch_add(1);
    if (notify_) notify_();
  }
  if (notify_) notify_();
}

void LayerJobs::run_one(size_t i) {
  const LayerDesc& L = layers_[i];
  LayerStatus& st = *status_[i];
  const std::string& root = store_.root();
  if (!is_sha256_digest(L.digest)) throw Error(str("layer digest '", L.digest, "' is not a sha256 digest"));
  if (!is_sha256_digest(L.diff_id)) throw Error(str("layer diff_id '", L.diff_id, "' is not a sha256 digest"));
  const std::string hex(digest_hex(L.digest));
  const std::string what = str("layer ", L.digest.substr(0, 19));

  // One process at a time per blob.
  layout::Lock lk;
  for (;;) {
    lk = layout::Lock::try_take(root, hex, true);
    if (lk) break;
    if (st.state != LayerState::waiting) {
      st.state = LayerState::waiting;
      if (notify_) notify_();
    }
    if (aborted_) throw Error("interrupted");
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  bool have_blob = store_.has_blob(L.digest, L.size);
  bool have_layer = store_.has_layer(L.diff_id);
  if (have_blob && have_layer) {
    st.state = LayerState::present;
    return;
  }
  remove_leftovers(root, hex + ".");
  const std::string ingest = str(root, "/ingest/", hex, ".partial");

  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<BlobFeed> feed;
    uint64_t have = 0;
    if (have_blob) {
      UniqueFd fd(::open(layout::blob_path(root, L.digest).c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno(str("cannot open blob ", L.digest));
      feed = std::make_shared<BlobFeed>(std::move(fd), L.size, L.size, true);
    } else {
      UniqueFd fd(::open(ingest.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
      if (!fd) throw_errno(str("cannot create ", ingest));
      struct stat sb {};
      if (::fstat(fd.get(), &sb) != 0) throw_errno(str("cannot stat ", ingest));
      have = static_cast<uint64_t>(sb.st_size);
      if (have > L.size) {
        if (::ftruncate(fd.get(), 0) != 0) throw_errno(str("cannot truncate ", ingest));
        have = 0;
      }
      if (have) log::debug(what, ": resuming at byte ", have, " of ", L.size);
      st.resumed_at = have;
      st.fetched = have;
      feed = std::make_shared<BlobFeed>(std::move(fd), have, L.size, have == L.size, &st.fetched);
    }
    {
      std::lock_guard g(m_);
      feeds_.push_back(feed);
    }
    if (aborted_) throw Error("interrupted");
    if (!have_blob && have < L.size) {
      st.state = LayerState::fetching;
      st.downloaded = true;
      if (notify_) notify_();
      fetch_(i, feed, have);
    } else {
      st.state = LayerState::unpacking;
    }

    std::string tmpdir;
    UniqueFd dfd;
    if (!have_layer) {
      tmpdir = str(root, "/tmp/", hex, ".", unique_suffix());
      if (::mkdir(tmpdir.c_str(), 0700) != 0) throw_errno(str("cannot create ", tmpdir));
      if (::mkdir((tmpdir + "/fs").c_str(), 0755) != 0) throw_errno(str("cannot create ", tmpdir, "/fs"));
      dfd = UniqueFd(::open((tmpdir + "/fs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dfd) throw_errno(str("cannot open ", tmpdir, "/fs"));
    }
    auto discard = [&] {
      dfd.reset();
      if (!tmpdir.empty()) remove_tree(tmpdir);
    };
    UnpackOptions opt;
    opt.extract = !have_layer;
    opt.privileged = privileged_;
    opt.owners = owners_;
    opt.what = what;
    opt.consumed = &st.consumed;
    opt.expected_digest = L.digest;
    opt.expected_size = L.size;
    opt.limits = store_.limits();
    UnpackResult res;
    try {
      res = unpack_layer(*feed, dfd.get(), opt);
    } catch (const DigestMismatch& e) {
      discard();
      if (!have_blob) ::unlink(ingest.c_str());
      if (attempt == 0 && have > 0) {
        // What an earlier run left was not good: start over once.
        log::debug(what, ": the resumed download did not verify; downloading it again");
        continue;
      }
      throw;
    } catch (const std::exception&) {
      discard();
      // A failed download stays for the next run to resume; anything else
      // (a hostile or broken layer whose digest did verify) goes.
      if (!feed->failed() && !have_blob) ::unlink(ingest.c_str());
      throw;
    }
    if (!have_layer && res.diff_id != L.diff_id) {
      discard();
      throw Error(str(what, ": unpacks to diff_id ", res.diff_id, " but the image config says ", L.diff_id));
    }
    if (!have_blob) {
      if (::fsync(feed->fd()) != 0) throw_errno(str("cannot write ", ingest));
      std::string dst = layout::blob_path(root, L.digest);
      if (::rename(ingest.c_str(), dst.c_str()) != 0) throw_errno(str("cannot store blob ", dst));
    }
    if (!have_layer) {
      json info = {{"digest", L.digest},
                   {"diff_id", L.diff_id},
                   {"size", res.file_bytes},
                   {"files", res.files},
                   {"compression", res.compression}};
      // Inside the directory that the rename below publishes: no need for
      // a temporary name of its own.
      {
        std::string text = info.dump() + "\n";
        UniqueFd f(::open((tmpdir + "/info.json").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!f || ::write(f.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
          throw_errno(str("cannot write ", tmpdir, "/info.json"));
      }
      // The unpacked files are not flushed one by one (as neither docker nor
      // containerd do): the rename makes the layer appear whole to readers and
      // after a SIGKILL; the blob itself is durable (fsync'd above).
      dfd.reset();
      std::string dst = layout::layer_path(root, L.diff_id);
      if (::rename(tmpdir.c_str(), dst.c_str()) != 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) throw_errno(str("cannot store layer ", dst));
        remove_tree(tmpdir);  // the same layer came from another blob
      }
    }
    st.files = res.files;
    st.file_bytes = res.file_bytes;
    st.state = LayerState::done;
    return;
  }
}

}  // namespace rt
