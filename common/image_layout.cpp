#include "image_layout.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "error.hpp"
#include "fs.hpp"

namespace rt::layout {

std::string blob_path(const std::string& root, std::string_view digest) {
  auto colon = digest.find(':');
  std::string alg = colon == std::string_view::npos ? "sha256" : std::string(digest.substr(0, colon));
  std::string hex(colon == std::string_view::npos ? digest : digest.substr(colon + 1));
  return root + "/blobs/" + alg + "/" + hex;
}

std::string layer_path(const std::string& root, std::string_view diff_id) {
  auto colon = diff_id.find(':');
  return root + "/layers/" + std::string(colon == std::string_view::npos ? diff_id : diff_id.substr(colon + 1));
}

std::string layer_fs(const std::string& root, std::string_view diff_id) { return layer_path(root, diff_id) + "/fs"; }

bool layout_exists(const std::string& root) { return path_exists(root + "/index.json"); }

static void mkdir_mode(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno(str("cannot create directory ", path));
}

void ensure_layout(const std::string& root) {
  if (!is_dir(root)) {
    // The parents as usual, the store itself private.
    auto slash = root.rfind('/');
    if (slash != std::string::npos && slash > 0) mkdir_p(root.substr(0, slash));
    mkdir_mode(root, 0700);
  }
  for (const char* d : {"/blobs", "/blobs/sha256"}) mkdir_mode(root + d, 0755);
  for (const char* d : {"/layers", "/ingest", "/tmp", "/locks"}) mkdir_mode(root + d, 0700);
  if (!path_exists(root + "/oci-layout") || !path_exists(root + "/index.json")) {
    Lock lk(root, "index", true);
    if (!path_exists(root + "/oci-layout"))
      write_file_atomic(root + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"
                                              "\n");
    if (!path_exists(root + "/index.json")) write_index(root, read_index(root));
  }
}

Lock::Lock(const std::string& root, const std::string& name, bool exclusive) {
  std::string path = root + "/locks/" + name;
  fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_) throw_errno(str("cannot open lock file ", path));
  while (::flock(fd_.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) throw_errno(str("cannot lock ", path));
  }
}

Lock Lock::try_take(const std::string& root, const std::string& name, bool exclusive) {
  Lock l;
  std::string path = root + "/locks/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw_errno(str("cannot open lock file ", path));
  if (::flock(fd.get(), (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK || errno == EINTR) return l;
    throw_errno(str("cannot lock ", path));
  }
  l.fd_ = std::move(fd);
  return l;
}

json read_index(const std::string& root) {
  std::error_code ec;
  auto text = try_read_file(root + "/index.json", &ec);
  if (!text) {
    if (ec.value() != ENOENT) throw Error(str("cannot read ", root, "/index.json"), ec.value());
    return json{{"schemaVersion", 2}, {"mediaType", kMediaOciIndex}, {"manifests", json::array()}};
  }
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(str("cannot read ", root, "/index.json: not a JSON object (the store is damaged)"));
  if (!j.contains("manifests") || !j["manifests"].is_array()) j["manifests"] = json::array();
  return j;
}

void write_index(const std::string& root, const json& index) {
  write_file_atomic(root + "/index.json", index.dump(2) + "\n", 0644);
}

std::string read_blob(const std::string& root, std::string_view digest, size_t max) {
  std::string path = blob_path(root, digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno(str("cannot read blob ", digest, " in ", root));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(str("cannot stat ", path));
  if (static_cast<uint64_t>(st.st_size) > max) throw Error(str("blob ", digest, " is larger than ", max, " bytes"));
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(str("cannot read ", path));
    if (n == 0) break;
    off += static_cast<size_t>(n);
  }
  out.resize(off);
  return out;
}

std::string entry_image_id(const std::string& root, const json& desc) {
  if (desc.contains("annotations") && desc["annotations"].is_object()) {
    auto& a = desc["annotations"];
    if (a.contains(kAnnId) && a[kAnnId].is_string()) return a[kAnnId].get<std::string>();
  }
  try {
    std::string digest = desc.value("digest", "");
    if (digest.empty()) return "";
    json m = json::parse(read_blob(root, digest), nullptr, false);
    if (m.is_object() && m.contains("config") && m["config"].is_object()) return m["config"].value("digest", "");
  } catch (const Error&) {
  }
  return "";
}

int64_t parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto num = [&](size_t pos, size_t len, int& out) {
    if (pos + len > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!num(0, 4, Y) || !num(5, 2, M) || !num(8, 2, D) || !num(11, 2, h) || !num(14, 2, m) || !num(17, 2, sec)) return 0;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  int64_t t = ::timegm(&tm);
  size_t i = 19;
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9';) ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (num(i + 1, 2, oh) && num(i + 4, 2, om)) t -= (s[i] == '+' ? 1L : -1L) * (oh * 3600L + om * 60L);
  }
  return t;
}

int remove_tree_at(int dirfd, const char* name) {
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : errno;
  if (!S_ISDIR(st.st_mode)) return ::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : errno;
  struct stat parent {};
  if (::fstat(dirfd, &parent) == 0 && parent.st_dev != st.st_dev) return EBUSY;  // a mount point
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    // A directory without read permission (mode 0 in a layer, not root).
    if (errno == EACCES && ::fchmodat(dirfd, name, 0700, 0) == 0)
      fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno;
  }
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int e = errno;
    ::close(fd);
    return e;
  }
  int first = 0;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  for (const auto& n : names) {
    int r = remove_tree_at(::dirfd(d), n.c_str());
    if (r && !first) first = r;
  }
  ::closedir(d);
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno;
  return first;
}

}  // namespace rt::layout
