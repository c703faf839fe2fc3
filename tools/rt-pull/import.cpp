// Imports: `docker save` archives, OCI archives (a tar of an OCI layout,
// optionally compressed) and OCI layout directories.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "error.hpp"
#include "fs.hpp"
#include "image_digest.hpp"
#include "image_layout.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "pull.hpp"

namespace rt::pull {
namespace {

namespace lay = rt::layout;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// Something that can deliver a blob's bytes by name.
struct BlobFile {
  std::string path;   // a file to copy from
  bool temp = false;  // ours, delete after
};

// Wake the main thread when a worker changes state.
struct Waker {
  std::mutex m;
  std::condition_variable cv;
  bool flag = false;
  void notify() {
    {
      std::lock_guard g(m);
      flag = true;
    }
    cv.notify_all();
  }
  void wait() {
    std::unique_lock lk(m);
    cv.wait_for(lk, std::chrono::milliseconds(100), [&] { return flag; });
    flag = false;
  }
};

// Copy a file into the feed (from byte `from` on), on the worker's thread.
void copy_into(const std::string& path, const std::shared_ptr<BlobFeed>& feed, uint64_t from) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    feed->fail(str("cannot open ", path, ": ", std::strerror(errno)));
    return;
  }
  std::vector<char> buf(1 << 20);
  uint64_t off = from;
  for (;;) {
    ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      feed->fail(str("cannot read ", path, ": ", std::strerror(errno)));
      return;
    }
    if (n == 0) break;
    if (!feed->append(buf.data(), static_cast<size_t>(n))) return;
    off += static_cast<uint64_t>(n);
  }
  feed->finish();
}

// A name found in an archive or layout as a reference for the store:
// full references (with a '/' or ':') are normalized; a bare tag ("latest")
// names no repository.
std::optional<std::string> as_reference(const std::string& s) {
  if (s.empty() || s.find_first_of("/:@") == std::string::npos) return std::nullopt;
  try {
    return normalize_reference(s);
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string media_of_file(const std::string& path) {
  unsigned char m[4] = {};
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd && ::read(fd.get(), m, 4) == 4) {
    if (m[0] == 0x1f && m[1] == 0x8b) return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
      return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "application/vnd.oci.image.layer.v1.tar";
}

// One image to store: its manifest, config, names, and where each layer's
// bytes are.
struct Pending {
  ImageManifest manifest;
  std::string config;
  ConfigInfo cfg;
  std::vector<std::string> refs;
  std::map<std::string, BlobFile> sources;  // layer digest -> file
};

std::vector<Result> store_all(std::vector<Pending>& images, const Options& opt) {
  StoreWriter store(opt.root, opt.limits);
  std::vector<Result> out;
  for (auto& p : images) {
    Waker w;
    std::vector<LayerDesc> layers;
    std::set<std::string> seen;
    for (const auto& l : p.manifest.layers)
      if (seen.insert(l.digest).second) layers.push_back(l);
    FetchFn fetch = [&](size_t i, const std::shared_ptr<BlobFeed>& feed, uint64_t from) {
      auto it = p.sources.find(layers[i].digest);
      if (it == p.sources.end()) {
        feed->fail(str("layer ", layers[i].digest, " is not in the archive"));
        return;
      }
      copy_into(it->second.path, feed, from);
    };
    out.push_back(store_image(
        store, p.manifest, p.config, p.cfg, p.refs, "", opt, fetch, [&] { w.notify(); }, [&] { w.wait(); }, nullptr));
  }
  return out;
}

std::vector<std::string> names_for(const Options& opt, std::vector<std::string> found, const std::string& where) {
  if (!opt.tag.empty()) return {normalize_reference(opt.tag)};
  if (found.empty())
    warn(str("the image from ", where, " has no name: it is stored without one (find it by id, or import with --tag)"));
  return found;
}

// Resolve a descriptor of an OCI layout (index.json entry or child) into a
// Pending image; `blob` reads a blob by digest.
Pending resolve_oci(const json& desc, const std::function<std::string(const std::string&)>& blob, const Options& opt,
                    const std::string& where) {
  std::string digest = desc.value("digest", "");
  if (!is_sha256_digest(digest)) throw Error(str(where, ": a descriptor without a sha256 digest"));
  std::string body = blob(digest);
  if (sha256_digest(body) != digest) throw Error(str(where, ": blob ", digest, " does not match its digest"));
  json doc = json::parse(body, nullptr, false);
  if (is_index_media(desc.value("mediaType", ""), doc) || is_index_media(doc.value("mediaType", ""), doc)) {
    json child = select_platform(doc, opt.platform, where);
    return resolve_oci(child, blob, opt, where);
  }
  Pending p;
  p.manifest = parse_image_manifest(digest, body, str("manifest ", digest, " in ", where));
  p.config = blob(p.manifest.config_digest);
  if (sha256_digest(p.config) != p.manifest.config_digest)
    throw Error(str(where, ": config ", p.manifest.config_digest, " does not match its digest"));
  p.cfg = parse_config(p.config, str("config ", p.manifest.config_digest, " in ", where));
  return p;
}

std::vector<std::string> oci_names(const json& desc) {
  std::vector<std::string> out;
  for (const char* k : {"io.containerd.image.name", lay::kRefName}) {
    std::string name = lay::annotation(desc, k);
    if (name.empty()) continue;
    if (auto r = as_reference(name)) {
      out.push_back(*r);
      break;
    }
  }
  return out;
}

std::vector<Result> import_oci_dir(const std::string& dir, const std::string& tag, const Options& opt) {
  std::string where = "oci:" + dir;
  if (!path_exists(dir + "/oci-layout")) throw Error(str(dir, " is not an OCI layout (no oci-layout file)"));
  json index = json::parse(read_file(dir + "/index.json"), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    throw Error(str(dir, "/index.json is not an OCI index"));
  auto blob = [&](const std::string& d) { return lay::read_blob(dir, d); };
  std::vector<Pending> todo;
  std::vector<std::string> tags;
  for (const auto& desc : index["manifests"]) {
    std::string name = lay::annotation(desc, lay::kRefName);
    if (!name.empty()) tags.push_back(name);
    if (!tag.empty() && name != tag) continue;
    Pending p = resolve_oci(desc, blob, opt, where);
    p.refs = oci_names(desc);
    for (const auto& l : p.manifest.layers) p.sources[l.digest] = {lay::blob_path(dir, l.digest), false};
    todo.push_back(std::move(p));
  }
  if (todo.empty()) {
    if (!tag.empty())
      throw Error(str("no image named '", tag, "' in ", dir,
                      tags.empty() ? std::string(" (it names none)") : " (it has: " + join(tags, ", ") + ")"));
    throw Error(str(dir, " holds no image"));
  }
  if (!opt.tag.empty() && todo.size() > 1)
    throw Error(str(dir, " holds ", todo.size(), " images: name one (oci:DIR:TAG) to use --tag"));
  for (auto& p : todo) p.refs = names_for(opt, p.refs, where);
  return store_all(todo, opt);
}

ArchivePtr open_archive(const std::string& file) {
  ArchivePtr a(archive_read_new());
  if (!a) throw std::bad_alloc();
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK)
    throw Error(str("cannot read ", file, ": ", archive_error_string(a.get())));
  return a;
}

std::string clean_member(std::string n) {
  while (n.rfind("./", 0) == 0) n = n.substr(2);
  return n;
}

std::vector<Result> import_archive(const std::string& file, const Options& opt) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw_errno(str("cannot import ", file));
  if (S_ISDIR(st.st_mode)) throw Error(str(file, " is a directory: for an OCI layout, say oci:", file));
  // Pass 1: the small documents.
  std::map<std::string, std::string> docs;
  std::set<std::string> members;
  {
    ArchivePtr a = open_archive(file);
    archive_entry* e;
    int r;
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
      const char* p = archive_entry_pathname(e);
      if (!p || archive_entry_filetype(e) != AE_IFREG) continue;
      std::string name = clean_member(p);
      members.insert(name);
      int64_t size = archive_entry_size(e);
      bool json_name = name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0;
      bool small_blob = name.rfind("blobs/", 0) == 0 && size <= (1 << 20);
      if (name == "oci-layout" || json_name || small_blob) {
        if (size > (16 << 20)) continue;
        std::string data(static_cast<size_t>(size), '\0');
        la_ssize_t got = archive_read_data(a.get(), data.data(), data.size());
        if (got != size) throw Error(str("cannot read ", name, " in ", file, ": ", archive_error_string(a.get())));
        docs[name] = std::move(data);
      }
    }
    if (r != ARCHIVE_EOF) throw Error(str("cannot read ", file, ": ", archive_error_string(a.get())));
  }
  std::vector<Pending> todo;
  std::map<std::string, std::string> layer_member;  // member name -> (docker) layer; or blob digest
  bool docker = docs.count("manifest.json") > 0;
  if (docker) {
    json mf = json::parse(docs["manifest.json"], nullptr, false);
    if (!mf.is_array() || mf.empty()) throw Error(str(file, ": manifest.json is not a list of images"));
    for (const auto& img : mf) {
      if (!img.is_object()) continue;
      std::string cfg_name = clean_member(img.value("Config", ""));
      if (!docs.count(cfg_name)) throw Error(str(file, ": the config ", cfg_name, " is missing"));
      Pending p;
      p.config = docs[cfg_name];
      p.cfg = parse_config(p.config, str(cfg_name, " in ", file));
      std::vector<std::string> refs;
      if (img.contains("RepoTags") && img["RepoTags"].is_array())
        for (const auto& t : img["RepoTags"])
          if (t.is_string()) {
            if (auto r = as_reference(t.get<std::string>()); r) refs.push_back(*r);
            else if (!t.get<std::string>().empty()) refs.push_back(normalize_reference(t.get<std::string>()));
          }
      p.refs = names_for(opt, refs, file);
      p.manifest.config_digest = sha256_digest(p.config);
      p.manifest.config_size = p.config.size();
      if (!img.contains("Layers") || !img["Layers"].is_array()) throw Error(str(file, ": an image without Layers"));
      for (const auto& l : img["Layers"]) {
        LayerDesc d;
        d.media_type = clean_member(l.get<std::string>());  // the member for now
        p.manifest.layers.push_back(d);
      }
      if (p.manifest.layers.size() != p.cfg.diff_ids.size())
        throw Error(str(file, ": ", p.manifest.layers.size(), " layers but ", p.cfg.diff_ids.size(), " diff_ids"));
      todo.push_back(std::move(p));
    }
  } else if (docs.count("index.json") && docs.count("oci-layout")) {
    json index = json::parse(docs["index.json"], nullptr, false);
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
      throw Error(str(file, ": index.json is not an OCI index"));
    auto blob = [&](const std::string& d) {
      auto it = docs.find("blobs/sha256/" + std::string(digest_hex(d)));
      if (it == docs.end()) throw Error(str(file, ": blob ", d, " is missing or too large for a manifest"));
      return it->second;
    };
    for (const auto& desc : index["manifests"]) {
      Pending p = resolve_oci(desc, blob, opt, file);
      p.refs = names_for(opt, oci_names(desc), file);
      todo.push_back(std::move(p));
    }
    if (!opt.tag.empty() && todo.size() > 1) throw Error(str(file, " holds ", todo.size(), " images: --tag names one"));
  } else {
    throw Error(
        str(file, " is neither a docker-archive (no manifest.json) nor an OCI archive (no index.json and oci-layout)"));
  }
  // Pass 2: the layers, into temporary files (hashed on the way for docker
  // archives, whose manifest names files, not digests).
  StoreWriter store(opt.root, opt.limits);
  std::set<std::string> wanted;
  for (auto& p : todo)
    for (auto& l : p.manifest.layers)
      wanted.insert(docker ? l.media_type : "blobs/sha256/" + std::string(digest_hex(l.digest)));
  struct Extracted {
    std::string path, digest;
    uint64_t size;
  };
  std::map<std::string, Extracted> got;
  std::vector<std::string> temps;
  struct Cleanup {
    std::vector<std::string>& t;
    ~Cleanup() {
      for (auto& f : t) ::unlink(f.c_str());
    }
  } cleanup{temps};
  {
    ArchivePtr a = open_archive(file);
    archive_entry* e;
    int r;
    unsigned n = 0;
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
      const char* pn = archive_entry_pathname(e);
      if (!pn || archive_entry_filetype(e) != AE_IFREG) continue;
      std::string name = clean_member(pn);
      if (!wanted.count(name) || got.count(name)) continue;
      std::string tmp = str(opt.root, "/tmp/import-", ::getpid(), ".", n++);
      temps.push_back(tmp);
      UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!fd) throw_errno(str("cannot create ", tmp));
      Sha256 h;
      const void* buf;
      size_t size;
      la_int64_t off;
      int rr;
      while ((rr = archive_read_data_block(a.get(), &buf, &size, &off)) == ARCHIVE_OK) {
        h.update(buf, size);
        const char* p = static_cast<const char*>(buf);
        size_t left = size;
        while (left) {
          ssize_t w = ::pwrite(fd.get(), p, left, off);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) throw_errno(str("cannot write ", tmp));
          p += w;
          left -= static_cast<size_t>(w);
          off += w;
        }
      }
      if (rr != ARCHIVE_EOF) throw Error(str("cannot read ", name, " in ", file, ": ", archive_error_string(a.get())));
      got[name] = {tmp, h.digest(), h.bytes()};
    }
    if (r != ARCHIVE_EOF) throw Error(str("cannot read ", file, ": ", archive_error_string(a.get())));
  }
  for (auto& p : todo) {
    if (docker) {
      json layers = json::array();
      for (auto& l : p.manifest.layers) {
        auto it = got.find(l.media_type);
        if (it == got.end()) throw Error(str(file, ": layer ", l.media_type, " is missing"));
        l.digest = it->second.digest;
        l.size = it->second.size;
        l.media_type = media_of_file(it->second.path);
        p.sources[l.digest] = {it->second.path, true};
        layers.push_back({{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.size}});
      }
      json m = {{"schemaVersion", 2},
                {"mediaType", lay::kMediaOciManifest},
                {"config",
                 {{"mediaType", lay::kMediaOciConfig},
                  {"digest", p.manifest.config_digest},
                  {"size", p.manifest.config_size}}},
                {"layers", layers}};
      p.manifest.body = m.dump();
      p.manifest.digest = sha256_digest(p.manifest.body);
      p.manifest.media_type = lay::kMediaOciManifest;
    } else {
      for (auto& l : p.manifest.layers) {
        std::string member = "blobs/sha256/" + std::string(digest_hex(l.digest));
        auto it = got.find(member);
        if (it == got.end()) throw Error(str(file, ": layer ", l.digest, " is missing"));
        p.sources[l.digest] = {it->second.path, true};
      }
    }
  }
  return store_all(todo, opt);
}

}  // namespace

std::vector<Result> import_images(const std::string& source, const Options& opt) {
  if (source.rfind("oci:", 0) == 0) {
    std::string rest = source.substr(4);
    // oci:DIR[:TAG]: the first ':' after the directory splits (as skopeo).
    std::string dir = rest, tag;
    if (auto c = rest.find(':'); c != std::string::npos) {
      dir = rest.substr(0, c);
      tag = rest.substr(c + 1);
    }
    if (dir.empty()) throw Error(str("invalid import source '", source, "': expected oci:DIR[:TAG]"));
    return import_oci_dir(dir, tag, opt);
  }
  return import_archive(source, opt);
}

}  // namespace rt::pull
