#include "image_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "fd.hpp"
#include "format.hpp"
#include "fs.hpp"
#include "image_digest.hpp"
#include "image_layout.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace rt {
namespace {

std::string too_big(uint64_t max) {
  return str("it unpacks to more than ", bytes_size(max), " (the limit: rt-pull --max-layer-size, RT_MAX_LAYER_SIZE)");
}

constexpr size_t kReadChunk = 1 << 20;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// Stage 1: blob bytes -> (hash) -> libarchive's decompression.
struct RawCtx {
  ByteSource* src;
  Sha256 hash;
  std::vector<char> buf = std::vector<char>(kReadChunk);
  std::atomic<uint64_t>* consumed;
  std::string error;  // an exception from the source, carried across C
};

la_ssize_t raw_read(archive*, void* p, const void** out) {
  auto* c = static_cast<RawCtx*>(p);
  try {
    size_t n = c->src->read(c->buf.data(), c->buf.size());
    c->hash.update(c->buf.data(), n);
    if (c->consumed) c->consumed->fetch_add(n, std::memory_order_relaxed);
    *out = c->buf.data();
    return static_cast<la_ssize_t>(n);
  } catch (const std::exception& e) {
    c->error = e.what();
    return -1;
  }
}

// Stage 2: decompressed bytes -> (hash) -> the tar reader.
struct TarCtx {
  archive* raw;
  RawCtx* rawctx;
  uint64_t max_bytes;
  Sha256 hash;
  std::string error;
  bool eof = false;
};

la_ssize_t tar_read(archive*, void* p, const void** out) {
  auto* c = static_cast<TarCtx*>(p);
  if (c->eof) return 0;
  size_t size = 0;
  la_int64_t off = 0;
  int r = archive_read_data_block(c->raw, out, &size, &off);
  if (r == ARCHIVE_EOF) {
    c->eof = true;
    return 0;
  }
  if (r < ARCHIVE_WARN) {
    c->error = !c->rawctx->error.empty()
                   ? c->rawctx->error
                   : str("cannot decompress: ", archive_error_string(c->raw) ? archive_error_string(c->raw) : "error");
    return -1;
  }
  c->hash.update(*out, size);
  if (c->hash.bytes() > c->max_bytes) {
    c->error = too_big(c->max_bytes);
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

struct DeferredDir {
  std::string path;  // relative, "" for the root
  mode_t mode;
  timespec times[2];
};

mode_t current_umask() {
  mode_t um = ::umask(0);
  ::umask(um);
  return um;
}

class Extractor {
 public:
  Extractor(int dest, const UnpackOptions& opt)
      : dest_(dest), opt_(opt), um_(current_umask()), euid_(::geteuid()), egid_(::getegid()) {}

  void entry(archive* a, archive_entry* e, UnpackResult& res);
  void finish();

 private:
  [[noreturn]] void hostile(const std::string& name, const std::string& why) const {
    throw Error(str(opt_.what, ": refusing entry '", name, "': ", why));
  }
  [[noreturn]] void fail(const std::string& name, const std::string& what, int err) const {
    throw Error(str(opt_.what, ": entry '", name, "': ", what), err);
  }
  // "./a//b/" -> "a/b"; throws on "..", absolute names.
  std::string clean(const char* raw, const std::string& shown) const;
  // An fd of directory `rel` inside the layer, created (0755) when missing
  // and `create`. Never through a symlink.
  int dir_fd(const std::string& rel, const std::string& entry, bool create);
  // Make room for NAME in dir fd: remove what is there.
  void clear_name(int dfd, const std::string& name, const std::string& entry);
  void set_owner(int fd, const char* name, archive_entry* e, const std::string& entry, bool nofollow);
  void set_xattrs(int fd, archive_entry* e, const std::string& entry);
  static void times_of(archive_entry* e, timespec ts[2]);

  int dest_;
  const UnpackOptions& opt_;
  mode_t um_;
  uid_t euid_;
  gid_t egid_;
  std::string cached_rel_;
  UniqueFd cached_fd_;
  std::vector<DeferredDir> dirs_;
};

std::string Extractor::clean(const char* raw, const std::string& shown) const {
  if (!raw || !*raw) hostile(shown, "empty name");
  std::string_view s = raw;
  if (s.front() == '/') hostile(shown, "absolute path");
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view comp = s.substr(i, j - i);
    if (comp == "..") hostile(shown, "path contains '..'");
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(comp);
    }
    i = j + 1;
  }
  return out;
}

int Extractor::dir_fd(const std::string& rel, const std::string& entry, bool create) {
  if (rel.empty()) return dest_;
  if (cached_fd_ && rel == cached_rel_) return cached_fd_.get();
  int fd = sys_openat2(dest_, rel.c_str(), O_RDONLY | O_DIRECTORY, kBeneath);
  if (fd < 0 && errno == ENOENT && create) {
    // Walk down from the root, creating what is missing, one name at a time.
    UniqueFd cur(::dup(dest_));
    if (!cur) fail(entry, "cannot duplicate a directory fd", errno);
    size_t i = 0;
    while (i < rel.size()) {
      size_t j = rel.find('/', i);
      if (j == std::string::npos) j = rel.size();
      std::string comp = rel.substr(i, j - i);
      int next = ::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT) {
        if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST)
          fail(entry, str("cannot create directory ", rel.substr(0, j)), errno);
        if ((0755 & um_) != 0) ::fchmodat(cur.get(), comp.c_str(), 0755, 0);
        next = ::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (next < 0) {
        int e = errno;
        if (e == ELOOP)
          hostile(entry, str("'", rel.substr(0, j), "' is a symbolic link: writing through it is not allowed"));
        if (e == ENOTDIR) hostile(entry, str("'", rel.substr(0, j), "' is not a directory"));
        fail(entry, str("cannot open directory ", rel.substr(0, j)), e);
      }
      cur.reset(next);
      i = j + 1;
    }
    fd = cur.release();
  } else if (fd < 0) {
    int e = errno;
    if (e == ELOOP) hostile(entry, str("'", rel, "' goes through a symbolic link: writing through it is not allowed"));
    if (e == ENOTDIR) hostile(entry, str("a component of '", rel, "' is not a directory"));
    if (e == EXDEV) hostile(entry, str("'", rel, "' leaves the layer"));
    fail(entry, str("cannot open directory ", rel), e);
  }
  cached_fd_.reset(fd);
  cached_rel_ = rel;
  return fd;
}

void Extractor::clear_name(int dfd, const std::string& name, const std::string& entry) {
  struct stat st {};
  if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    // A directory's fd may be cached: drop it first.
    cached_fd_.reset();
    cached_rel_.clear();
    if (auto ec = remove_tree_at(dfd, name)) fail(entry, "cannot replace a directory", ec.value());
  } else if (::unlinkat(dfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    fail(entry, "cannot replace what is there", errno);
  }
}

void Extractor::set_owner(int fd, const char* name, archive_entry* e, const std::string& entry, bool nofollow) {
  if (!opt_.owners) return;
  auto uid = static_cast<uid_t>(archive_entry_uid(e));
  auto gid = static_cast<gid_t>(archive_entry_gid(e));
  if (uid == euid_ && gid == egid_) return;
  int r = name ? ::fchownat(fd, name, uid, gid, nofollow ? AT_SYMLINK_NOFOLLOW : 0) : ::fchown(fd, uid, gid);
  if (r != 0) fail(entry, str("cannot set owner ", uid, ":", gid), errno);
}

void Extractor::set_xattrs(int fd, archive_entry* e, const std::string& entry) {
  if (archive_entry_xattr_reset(e) == 0) return;
  const char* name;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    std::string_view n = name ? name : "";
    if (n.empty()) continue;
    // Overlay metadata comes only from whiteouts, never from the layer.
    if (n.find("overlay.") != std::string_view::npos &&
        (n.substr(0, 16) == "trusted.overlay." || n.substr(0, 13) == "user.overlay.")) {
      log::debug(opt_.what, ": dropped xattr ", n, " of ", entry);
      continue;
    }
    if (!opt_.privileged && n.substr(0, 8) == "trusted.") continue;
    if (::fsetxattr(fd, name, value, size, 0) != 0) {
      int err = errno;
      if (err == ENOTSUP || err == EPERM || err == EACCES) {
        log::debug(opt_.what, ": cannot set xattr ", n, " on ", entry, ": ", std::strerror(err));
        continue;
      }
      fail(entry, str("cannot set xattr ", n), err);
    }
  }
}

void Extractor::times_of(archive_entry* e, timespec ts[2]) {
  ts[1].tv_sec = archive_entry_mtime(e);
  ts[1].tv_nsec = archive_entry_mtime_nsec(e);
  if (archive_entry_atime_is_set(e)) {
    ts[0].tv_sec = archive_entry_atime(e);
    ts[0].tv_nsec = archive_entry_atime_nsec(e);
  } else {
    ts[0] = ts[1];
  }
}

void Extractor::entry(archive* a, archive_entry* e, UnpackResult& res) {
  const char* raw = archive_entry_pathname(e);
  if (!raw) raw = archive_entry_pathname_utf8(e);
  const std::string shown = raw ? raw : "";
  const std::string rel = clean(raw, shown);
  const auto slash = rel.rfind('/');
  const std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
  const std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  const mode_t type = archive_entry_filetype(e);
  const mode_t perm = archive_entry_perm(e) & 07777;
  const char* hardlink = archive_entry_hardlink(e);

  // Whiteouts.
  if (base.compare(0, 4, ".wh.") == 0) {
    if (base == ".wh..wh..opq") {
      int d = dir_fd(parent, shown, true);
      const char* key = opt_.privileged ? "trusted.overlay.opaque" : "user.overlay.opaque";
      if (::fsetxattr(d, key, "y", 1, 0) != 0) fail(shown, str("cannot mark the directory opaque (", key, ")"), errno);
      ++res.files;
      return;
    }
    if (base.compare(0, 8, ".wh..wh.") == 0) return;  // aufs metadata (.wh..wh.plnk, ...)
    std::string name = base.substr(4);
    if (name.empty() || name == "." || name == "..") hostile(shown, "whiteout of an invalid name");
    int d = dir_fd(parent, shown, true);
    clear_name(d, name, shown);
    if (::mknodat(d, name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      fail(shown, str("cannot create the whiteout device for ", parent.empty() ? name : parent + "/" + name), errno);
    ++res.files;
    return;
  }

  if (rel.empty()) {
    // The layer's root directory itself ("./").
    if (type != AE_IFDIR || hardlink) hostile(shown, "the root of a layer can only be a directory");
    DeferredDir dd{"", perm, {}};
    times_of(e, dd.times);
    set_owner(dest_, nullptr, e, shown, false);
    set_xattrs(dest_, e, shown);
    dirs_.push_back(std::move(dd));
    return;
  }

  int d = dir_fd(parent, shown, true);
  timespec ts[2];
  times_of(e, ts);

  if (hardlink) {
    std::string target = clean(hardlink, str(shown, " -> ", hardlink));
    if (target.empty()) hostile(shown, "hard link to the layer's root");
    auto ts_ = target.rfind('/');
    std::string tparent = ts_ == std::string::npos ? "" : target.substr(0, ts_);
    std::string tbase = ts_ == std::string::npos ? target : target.substr(ts_ + 1);
    // The target's directory fd may be the cached one: keep our own copy of
    // the link's directory first.
    UniqueFd dcopy(::fcntl(d, F_DUPFD_CLOEXEC, 0));
    if (!dcopy) fail(shown, "cannot duplicate a directory fd", errno);
    int td = sys_openat2(dest_, tparent.empty() ? "." : tparent.c_str(), O_RDONLY | O_DIRECTORY, kBeneath);
    if (td < 0) {
      int err = errno;
      if (err == ELOOP || err == EXDEV || err == ENOTDIR || err == ENOENT)
        hostile(shown, str("hard link target '", hardlink, "' is not a file in this layer"));
      fail(shown, "cannot open the hard link's target directory", err);
    }
    UniqueFd tdir(td);
    struct stat st {};
    if (::fstatat(tdir.get(), tbase.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      hostile(shown, str("hard link target '", hardlink, "' is not a file in this layer"));
    if (S_ISDIR(st.st_mode)) hostile(shown, str("hard link to a directory '", hardlink, "'"));
    if (tparent == parent && tbase == base) return;  // a link to itself
    clear_name(dcopy.get(), base, shown);
    if (::linkat(tdir.get(), tbase.c_str(), dcopy.get(), base.c_str(), 0) != 0)
      fail(shown, str("cannot create hard link to ", hardlink), errno);
    ++res.files;
    return;
  }

  switch (type) {
    case AE_IFDIR: {
      if (::mkdirat(d, base.c_str(), 0700) != 0) {
        if (errno != EEXIST) fail(shown, "cannot create directory", errno);
        struct stat st {};
        if (::fstatat(d, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
          clear_name(d, base, shown);
          d = dir_fd(parent, shown, true);
          if (::mkdirat(d, base.c_str(), 0700) != 0) fail(shown, "cannot create directory", errno);
        }
      }
      if (opt_.owners || archive_entry_xattr_count(e) > 0) {
        UniqueFd fd(::openat(d, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) fail(shown, "cannot open the new directory", errno);
        set_owner(fd.get(), nullptr, e, shown, false);
        set_xattrs(fd.get(), e, shown);
      }
      dirs_.push_back(DeferredDir{rel, perm, {ts[0], ts[1]}});
      ++res.files;
      return;
    }
    case AE_IFREG: {
      int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
      int fd = ::openat(d, base.c_str(), flags, perm & 0777);
      if (fd < 0 && errno == EEXIST) {
        clear_name(d, base, shown);
        d = dir_fd(parent, shown, true);
        fd = ::openat(d, base.c_str(), flags, perm & 0777);
      }
      if (fd < 0) fail(shown, "cannot create file", errno);
      UniqueFd f(fd);
      int64_t declared = archive_entry_size(e);
      if (declared > 0 && res.file_bytes + static_cast<uint64_t>(declared) > opt_.limits.max_bytes)
        throw Error(str(opt_.what, ": ", too_big(opt_.limits.max_bytes)));
      const void* buf;
      size_t size;
      la_int64_t off;
      int64_t end = 0;
      for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &off);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) throw Error(str(opt_.what, ": entry '", shown, "': ", archive_error_string(a)));
        const char* p = static_cast<const char*>(buf);
        size_t left = size;
        int64_t at = off;
        while (left > 0) {
          ssize_t n = ::pwrite(fd, p, left, at);
          if (n < 0) {
            if (errno == EINTR) continue;
            fail(shown, "cannot write", errno);
          }
          p += n;
          left -= static_cast<size_t>(n);
          at += n;
        }
        if (at > end) end = at;
      }
      int64_t want = archive_entry_size(e);
      if (want > end && ::ftruncate(fd, want) != 0) fail(shown, "cannot extend (sparse file)", errno);
      set_owner(fd, nullptr, e, shown, false);
      if ((perm & 07000) || (perm & um_)) {
        if (::fchmod(fd, perm) != 0) fail(shown, "cannot set mode", errno);
      }
      set_xattrs(fd, e, shown);
      if (::futimens(fd, ts) != 0) fail(shown, "cannot set times", errno);
      ++res.files;
      res.file_bytes += static_cast<uint64_t>(want > end ? want : end);
      return;
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (!target) target = archive_entry_symlink_utf8(e);
      if (!target || !*target) hostile(shown, "symbolic link without a target");
      if (::symlinkat(target, d, base.c_str()) != 0) {
        if (errno != EEXIST) fail(shown, "cannot create symbolic link", errno);
        clear_name(d, base, shown);
        d = dir_fd(parent, shown, true);
        if (::symlinkat(target, d, base.c_str()) != 0) fail(shown, "cannot create symbolic link", errno);
      }
      set_owner(d, base.c_str(), e, shown, true);
      if (::utimensat(d, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) fail(shown, "cannot set times", errno);
      ++res.files;
      return;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
      dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
      int r = ::mknodat(d, base.c_str(), type | (perm & 0777), dev);
      if (r != 0 && errno == EEXIST) {
        clear_name(d, base, shown);
        d = dir_fd(parent, shown, true);
        r = ::mknodat(d, base.c_str(), type | (perm & 0777), dev);
      }
      if (r != 0) {
        if ((errno == EPERM || errno == EACCES) && !opt_.privileged) {
          log::debug(opt_.what, ": skipped device node ", shown, " (no privilege to create it)");
          return;
        }
        fail(shown, "cannot create device node or fifo", errno);
      }
      set_owner(d, base.c_str(), e, shown, true);
      if (((perm & 07000) || (perm & um_)) && ::fchmodat(d, base.c_str(), perm, 0) != 0)
        fail(shown, "cannot set mode", errno);
      if (::utimensat(d, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) fail(shown, "cannot set times", errno);
      ++res.files;
      return;
    }
    case AE_IFSOCK: return;  // sockets are not archived meaningfully
    default: hostile(shown, str("unknown entry type 0", std::oct, type));
  }
}

void Extractor::finish() {
  cached_fd_.reset();
  // Children before parents: a parent made read-only last.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    int fd = it->path.empty() ? ::fcntl(dest_, F_DUPFD_CLOEXEC, 0)
                              : sys_openat2(dest_, it->path.c_str(), O_RDONLY | O_DIRECTORY, kBeneath);
    if (fd < 0) continue;  // replaced by a later entry
    UniqueFd f(fd);
    if (::fchmod(fd, it->mode) != 0) fail(it->path, "cannot set mode", errno);
    if (::futimens(fd, it->times) != 0) fail(it->path, "cannot set times", errno);
  }
}

}  // namespace

UnpackLimits unpack_limits_from_env() {
  UnpackLimits l;
  if (const char* v = std::getenv("RT_MAX_LAYER_SIZE"); v && *v) l.max_bytes = parse_size(v, "RT_MAX_LAYER_SIZE");
  if (const char* v = std::getenv("RT_MAX_LAYER_ENTRIES"); v && *v)
    l.max_entries = parse_uint(v, "RT_MAX_LAYER_ENTRIES");
  return l;
}

UnpackResult unpack_layer(ByteSource& src, int dest_fd, const UnpackOptions& opt) {
  UnpackResult res;
  RawCtx rctx{&src, {}, std::vector<char>(kReadChunk), opt.consumed, {}};
  ArchivePtr raw(archive_read_new());
  if (!raw) throw std::bad_alloc();
  archive_read_support_filter_gzip(raw.get());
  archive_read_support_filter_zstd(raw.get());
  archive_read_support_format_raw(raw.get());
  auto raw_fail = [&](const char* what) {
    if (!rctx.error.empty()) throw Error(rctx.error);
    const char* m = archive_error_string(raw.get());
    throw Error(str(opt.what, ": ", what, ": ", m ? m : "unknown error"));
  };
  if (archive_read_open(raw.get(), &rctx, nullptr, raw_read, nullptr) != ARCHIVE_OK) raw_fail("cannot read the blob");
  archive_entry* re = nullptr;
  int r = archive_read_next_header(raw.get(), &re);
  if (r == ARCHIVE_EOF) throw Error(str(opt.what, ": the blob is empty"));
  if (r < ARCHIVE_WARN) raw_fail("cannot read the blob");
  int fcount = archive_filter_count(raw.get());
  res.compression = "none";
  for (int i = 0; i < fcount; ++i) {
    int code = archive_filter_code(raw.get(), i);
    if (code == ARCHIVE_FILTER_GZIP) res.compression = "gzip";
    else if (code == ARCHIVE_FILTER_ZSTD) res.compression = "zstd";
  }

  TarCtx tctx{raw.get(), &rctx, opt.limits.max_bytes, {}, {}, false};
  std::string failure;  // what went wrong unpacking, reported after the digest check
  bool raw_broken = false;
  if (opt.extract) {
    try {
      ArchivePtr tar(archive_read_new());
      if (!tar) throw std::bad_alloc();
      archive_read_support_format_tar(tar.get());
      auto tar_fail = [&](const char* what) {
        if (!rctx.error.empty()) throw Error(rctx.error);
        if (!tctx.error.empty()) throw Error(str(opt.what, ": ", tctx.error));
        const char* m = archive_error_string(tar.get());
        throw Error(str(opt.what, ": ", what, ": ", m ? m : "unknown error"));
      };
      if (archive_read_open(tar.get(), &tctx, nullptr, tar_read, nullptr) != ARCHIVE_OK) tar_fail("not a tar archive");
      Extractor x(dest_fd, opt);
      for (uint64_t entries = 0;; ++entries) {
        archive_entry* e = nullptr;
        r = archive_read_next_header(tar.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) tar_fail("cannot read the tar stream");
        if (entries >= opt.limits.max_entries)
          throw Error(str(opt.what, ": it has more than ", opt.limits.max_entries,
                          " entries (the limit: rt-pull --max-layer-entries, RT_MAX_LAYER_ENTRIES)"));
        x.entry(tar.get(), e, res);
      }
      x.finish();
    } catch (const Error& e) {
      if (!rctx.error.empty()) throw Error(rctx.error);  // the source failed: nothing more to read
      // A broken or oversized stream is the cause, whatever entry noticed.
      failure = tctx.error.empty() ? std::string(e.what()) : str(opt.what, ": ", tctx.error);
      raw_broken = !tctx.error.empty();
    }
  }
  // The rest of the stream (tar padding, everything when only hashing, or
  // what follows a bad entry) still counts for the diff_id and the digest.
  if (!raw_broken) {
    const void* p;
    while (tar_read(nullptr, &tctx, &p) > 0) {
    }
    if (!tctx.error.empty()) {
      if (!rctx.error.empty()) throw Error(rctx.error);
      if (failure.empty()) failure = str(opt.what, ": ", tctx.error);
    }
  }
  for (;;) {
    const void* p;
    la_ssize_t n = raw_read(nullptr, &rctx, &p);
    if (n < 0) throw Error(rctx.error);
    if (n == 0) break;
  }
  res.diff_size = tctx.hash.bytes();
  res.diff_id = tctx.hash.digest();
  res.size = rctx.hash.bytes();
  res.digest = rctx.hash.digest();
  if (!opt.expected_digest.empty() && (res.digest != opt.expected_digest || res.size != opt.expected_size))
    throw DigestMismatch(str(opt.what, ": digest mismatch: got ", res.digest, " (", res.size, " bytes), expected ",
                             opt.expected_digest, " (", opt.expected_size, " bytes)"));
  if (!failure.empty()) throw Error(failure);
  return res;
}

}  // namespace rt
