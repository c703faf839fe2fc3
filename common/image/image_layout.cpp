#include "image_layout.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

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

std::string annotation(const json& desc, std::string_view key) {
  if (!desc.is_object()) return "";
  auto a = desc.find("annotations");
  if (a == desc.end() || !a->is_object()) return "";
  auto v = a->find(key);
  return v != a->end() && v->is_string() ? v->get<std::string>() : "";
}

void make_dangling(json& desc, const std::string& image_id) {
  json& a = desc["annotations"];
  if (!a.is_object()) a = json::object();
  a.erase(kRefName);
  a[kAnnId] = image_id;
}

std::string entry_image_id(const std::string& root, const json& desc) {
  if (std::string id = annotation(desc, kAnnId); !id.empty()) return id;
  try {
    std::string digest = desc.value("digest", "");
    if (digest.empty()) return "";
    json m = json::parse(read_blob(root, digest), nullptr, false);
    if (m.is_object() && m.contains("config") && m["config"].is_object()) return m["config"].value("digest", "");
  } catch (const Error&) {
  }
  return "";
}

}  // namespace rt::layout
