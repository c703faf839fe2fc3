#include "pull.hpp"

#include <sys/utsname.h>

#include <chrono>
#include <mutex>
#include <set>

#include "error.hpp"
#include "format.hpp"
#include "fs.hpp"
#include "image_digest.hpp"
#include "image_layout.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "registry.hpp"

#ifndef RT_VERSION
#define RT_VERSION "0.0.0"
#endif

namespace rt::pull {

namespace lay = rt::layout;

Platform host_platform() {
  utsname u{};
  ::uname(&u);
  std::string m = u.machine;
  Platform p{"linux", m, ""};
  if (m == "x86_64") p.arch = "amd64";
  else if (m == "aarch64" || m == "arm64") p.arch = "arm64";
  else if (m == "i386" || m == "i486" || m == "i586" || m == "i686") p.arch = "386";
  else if (m.rfind("armv7", 0) == 0) p = {"linux", "arm", "v7"};
  else if (m.rfind("armv6", 0) == 0) p = {"linux", "arm", "v6"};
  else if (m.rfind("armv5", 0) == 0) p = {"linux", "arm", "v5"};
  else if (m == "ppc64le" || m == "s390x" || m == "riscv64" || m == "mips64le") p.arch = m;
  else if (m == "loongarch64") p.arch = "loong64";
  return p;
}

Platform parse_platform(const std::string& s) {
  auto parts = split(s, '/');
  if (parts.size() < 2 || parts.size() > 3)
    throw Error(str("invalid --platform '", s, "': expected OS/ARCH[/VARIANT], e.g. linux/arm64 or linux/arm/v7"));
  for (auto& p : parts) {
    if (p.empty()) throw Error(str("invalid --platform '", s, "': empty part"));
    for (char& c : p) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
        throw Error(str("invalid --platform '", s, "': unexpected character '", c, "'"));
    }
  }
  Platform p{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
  if (p.arch == "x86_64" || p.arch == "x86-64") p.arch = "amd64";
  if (p.arch == "aarch64") p.arch = "arm64";
  return p;
}

json Result::to_json() const {
  json ls = json::array();
  for (const auto& l : layers)
    ls.push_back({{"digest", l.digest}, {"diff_id", l.diff_id}, {"size", l.size}, {"status", l.status}});
  return {{"id", id},
          {"references", refs},
          {"manifest_digest", manifest_digest},
          {"repo_digest", repo_digest},
          {"platform", platform},
          {"layers", ls},
          {"up_to_date", up_to_date},
          {"downloaded_bytes", downloaded},
          {"size", size}};
}

bool is_index_media(const std::string& mt, const json& doc) {
  if (mt == lay::kMediaOciIndex || mt == lay::kMediaDockerList) return true;
  return mt.empty() && doc.is_object() && doc.contains("manifests") && !doc.contains("layers");
}

static bool variant_matches(const Platform& want, const std::string& arch, const std::string& variant) {
  if (want.variant.empty()) return true;
  if (want.variant == variant) return true;
  // arm64 images often say nothing about their variant (v8).
  return arch == "arm64" && want.variant == "v8" && variant.empty();
}

json select_platform(const json& index, const Platform& want, const std::string& what) {
  if (!index.contains("manifests") || !index["manifests"].is_array())
    throw Error(str(what, " is an index without manifests"));
  const json* best = nullptr;
  int best_score = -1;
  std::set<std::string> available;
  Platform host = host_platform();
  for (const auto& d : index["manifests"]) {
    if (!d.is_object() || !d.contains("platform") || !d["platform"].is_object()) continue;
    const json& p = d["platform"];
    std::string os = p.value("os", ""), arch = p.value("architecture", ""), variant = p.value("variant", "");
    if (os == "unknown" || arch == "unknown") continue;  // attestations
    if (lay::annotation(d, "vnd.docker.reference.type") == "attestation-manifest") continue;
    available.insert(os + "/" + arch + (variant.empty() ? "" : "/" + variant));
    if (os != want.os || arch != want.arch || !variant_matches(want, arch, variant)) continue;
    // Without a variant asked for, prefer the host's own, then none, then any.
    int score = 1;
    if (want.variant.empty()) score = variant == host.variant ? 3 : variant.empty() ? 2 : 1;
    if (score > best_score) {
      best = &d;
      best_score = score;
    }
  }
  if (!best) {
    std::string list;
    for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
    throw Error(str("no image for platform ", want.str(), " in ", what,
                    list.empty() ? std::string(" (it names no platforms)") : " (it has: " + list + ")"));
  }
  return *best;
}

static bool known_layer_media(const std::string& mt) {
  static const std::set<std::string> ok = {
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
      "application/vnd.docker.image.rootfs.diff.tar",
      "application/x-tar",
      "",
  };
  return ok.count(mt) > 0;
}

ImageManifest parse_image_manifest(const std::string& digest, const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) throw Error(str(what, " is not a JSON document"));
  if (j.value("schemaVersion", 0) == 1)
    throw Error(str(what, " is a Docker schema 1 manifest, which is not supported"));
  ImageManifest m;
  m.digest = digest;
  m.body = body;
  m.media_type = j.value("mediaType", std::string(lay::kMediaOciManifest));
  if (!j.contains("config") || !j["config"].is_object() || !j.contains("layers") || !j["layers"].is_array())
    throw Error(str(what, " is not an image manifest (no config or layers)"));
  const json& c = j["config"];
  m.config_digest = c.value("digest", "");
  m.config_size = c.value("size", uint64_t{0});
  std::string cmt = c.value("mediaType", "");
  if (!cmt.empty() && cmt != lay::kMediaOciConfig && cmt != lay::kMediaDockerConfig)
    throw Error(str(what, " is not a container image (its config is ", cmt, ")"));
  if (!is_sha256_digest(m.config_digest))
    throw Error(str(what, ": config digest '", m.config_digest, "' is not sha256"));
  for (const auto& l : j["layers"]) {
    if (!l.is_object()) throw Error(str(what, ": a layer descriptor is not an object"));
    LayerDesc d;
    d.digest = l.value("digest", "");
    d.size = l.value("size", uint64_t{0});
    d.media_type = l.value("mediaType", "");
    if (d.media_type.find("encrypted") != std::string::npos)
      throw Error(str(what, ": layer ", d.digest, " is encrypted (", d.media_type, "), which is not supported"));
    if (d.media_type.find("foreign") != std::string::npos)
      throw Error(str(what, ": layer ", d.digest, " is a foreign (Windows) layer, which is not supported"));
    if (!known_layer_media(d.media_type))
      throw Error(str(what, ": layer ", d.digest, " has media type ", d.media_type, ", which is not a tar layer"));
    if (!is_sha256_digest(d.digest)) throw Error(str(what, ": layer digest '", d.digest, "' is not sha256"));
    m.layers.push_back(std::move(d));
  }
  if (m.layers.empty()) throw Error(str(what, " has no layers"));
  return m;
}

ConfigInfo parse_config(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) throw Error(str(what, " is not a JSON object"));
  ConfigInfo c;
  c.os = j.value("os", "");
  c.arch = j.value("architecture", "");
  c.variant = j.value("variant", "");
  if (j.contains("created") && j["created"].is_string()) c.created = parse_rfc3339(j["created"].get<std::string>());
  if (!j.contains("rootfs") || !j["rootfs"].is_object() || !j["rootfs"].contains("diff_ids") ||
      !j["rootfs"]["diff_ids"].is_array())
    throw Error(str(what, " has no rootfs.diff_ids"));
  for (const auto& d : j["rootfs"]["diff_ids"]) {
    if (!d.is_string() || !is_sha256_digest(d.get<std::string>()))
      throw Error(str(what, ": a diff_id is not a sha256 digest"));
    c.diff_ids.push_back(d);
  }
  return c;
}

Result store_image(StoreWriter& store, const ImageManifest& m, const std::string& config_body, const ConfigInfo& cfg,
                   const std::vector<std::string>& refs, const std::string& repo_digest, const Options& opt,
                   const FetchFn& fetch, const std::function<void()>& notify, const std::function<void()>& pump,
                   const std::function<void()>& on_abort) {
  if (cfg.diff_ids.size() != m.layers.size())
    throw Error(str("image ", m.digest, ": the manifest has ", m.layers.size(), " layers but the config ",
                    cfg.diff_ids.size(), " diff_ids"));
  std::vector<LayerDesc> unique;
  std::set<std::string> seen;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    LayerDesc d = m.layers[i];
    d.diff_id = cfg.diff_ids[i];
    if (seen.insert(d.digest).second) unique.push_back(std::move(d));
  }
  Result res;
  {
    LayerJobs jobs(store, unique, opt.max_concurrent, fetch, notify);
    if (opt.progress) opt.progress->begin(jobs);
    while (!jobs.finished() && !jobs.failed()) {
      pump();
      if (opt.progress) opt.progress->update();
    }
    if (jobs.failed() && on_abort) on_abort();
    if (opt.progress) opt.progress->end();
    jobs.wait();
    for (size_t i = 0; i < unique.size(); ++i) {
      LayerStatus& st = jobs.status(i);
      LayerReport r{unique[i].digest, unique[i].diff_id, unique[i].size, "present"};
      if (st.state == LayerState::done) r.status = st.downloaded ? "downloaded" : "unpacked";
      if (st.downloaded) res.downloaded += unique[i].size - std::min(unique[i].size, st.resumed_at.load());
      res.layers.push_back(r);
    }
  }
  std::set<std::string> diffs(cfg.diff_ids.begin(), cfg.diff_ids.end());
  for (const auto& d : diffs) res.size += store.layer_size(d);
  // The config and the manifest go in last: a failed pull adds no blob.
  store.put_blob(m.config_digest, config_body);
  store.put_blob(m.digest, m.body);
  StoreWriter::Commit c;
  c.manifest_digest = m.digest;
  c.manifest_media_type = m.media_type;
  c.manifest_size = m.body.size();
  c.repo_digest = repo_digest;
  c.id = m.config_digest;
  c.os = cfg.os;
  c.architecture = cfg.arch;
  c.variant = cfg.variant;
  c.size = res.size;
  c.created = cfg.created;
  if (refs.empty()) {
    store.commit(c);
  } else {
    for (const auto& r : refs) {
      c.ref = r;
      store.commit(c);
    }
  }
  res.id = m.config_digest;
  res.refs = refs;
  res.manifest_digest = m.digest;
  res.repo_digest = repo_digest;
  res.platform = Platform{cfg.os, cfg.arch, cfg.variant}.str();
  return res;
}

// ---- pull ----

namespace {

// The store's entry for a reference, when its image is complete.
struct Present {
  std::string id, manifest_digest, repo_digest, platform;
  uint64_t size = 0;
};

std::optional<Present> present_image(const std::string& root, const std::string& ref) {
  if (!lay::layout_exists(root)) return std::nullopt;
  json index = lay::read_index(root);
  for (const auto& d : index["manifests"]) {
    if (lay::annotation(d, lay::kRefName) != ref) continue;
    Present p;
    p.id = lay::entry_image_id(root, d);
    p.manifest_digest = d.value("digest", "");
    p.repo_digest = lay::annotation(d, lay::kAnnRepoDigest);
    p.size = std::strtoull(lay::annotation(d, lay::kAnnSize).c_str(), nullptr, 10);
    if (d.contains("platform") && d["platform"].is_object()) {
      const json& pl = d["platform"];
      p.platform = Platform{pl.value("os", ""), pl.value("architecture", ""), pl.value("variant", "")}.str();
    }
    if (p.id.empty()) return std::nullopt;
    try {
      ConfigInfo c = parse_config(lay::read_blob(root, p.id), "config");
      for (const auto& diff : c.diff_ids)
        if (!is_dir(lay::layer_fs(root, diff))) return std::nullopt;
      if (!path_exists(lay::blob_path(root, p.manifest_digest))) return std::nullopt;
    } catch (const Error&) {
      return std::nullopt;
    }
    return p;
  }
  return std::nullopt;
}

bool platform_ok(const Present& p, const Options& opt) {
  if (!opt.platform_given) return true;
  Platform have = parse_platform(p.platform.empty() ? "x/x" : p.platform);
  return have.os == opt.platform.os && have.arch == opt.platform.arch &&
         variant_matches(opt.platform, have.arch, have.variant);
}

}  // namespace

Result pull_image(const Reference& ref, const Options& opt) {
  const std::string name = ref.str();
  Progress* pr = opt.progress;
  auto up_to_date = [&](const Present& p) {
    Result r;
    r.id = p.id;
    r.refs = {name};
    r.manifest_digest = p.manifest_digest;
    r.repo_digest = p.repo_digest;
    r.platform = p.platform;
    r.size = p.size;
    r.up_to_date = true;
    if (pr) pr->note(str("Image is up to date for ", name));
    return r;
  };
  // By digest, a complete image in the store is the image: no network.
  auto have = present_image(opt.root, name);
  if (have && !ref.digest.empty() && platform_ok(*have, opt)) return up_to_date(*have);

  RegistryClient client(ref, {opt.insecure, "rt-pull/" RT_VERSION});
  if (have && platform_ok(*have, opt) && !have->repo_digest.empty()) {
    auto now = client.head_manifest(ref.target());
    log::step("HEAD ", name, ": ", now ? *now : "no digest");
    if (now && *now == have->repo_digest) return up_to_date(*have);
  }
  if (pr) pr->note(str("Pulling ", name, " from ", client.endpoint()));
  FetchedManifest top = client.get_manifest(ref.target());
  log::step("got manifest ", top.digest, " (", top.media_type, ")");
  std::string what = str(ref.familiar());
  json doc = json::parse(top.body, nullptr, false);
  FetchedManifest img = top;
  if (is_index_media(top.media_type, doc)) {
    json d = select_platform(doc, opt.platform, what);
    std::string child = d.value("digest", "");
    if (!is_sha256_digest(child)) throw Error(str(what, ": the index names a manifest without a sha256 digest"));
    img = client.get_manifest(child);
    log::step("platform ", opt.platform.str(), ": manifest ", img.digest);
  } else if (top.media_type != lay::kMediaOciManifest && top.media_type != lay::kMediaDockerManifest &&
             !top.media_type.empty()) {
    throw Error(str(what, ": unsupported manifest type ", top.media_type));
  }
  ImageManifest m = parse_image_manifest(img.digest, img.body, str("the manifest of ", what));
  std::string config_body;
  if (path_exists(lay::blob_path(opt.root, m.config_digest))) config_body = lay::read_blob(opt.root, m.config_digest);
  else config_body = client.get_blob(m.config_digest, 16u << 20);
  ConfigInfo cfg = parse_config(config_body, str("the config of ", what));
  if (!cfg.os.empty() && (cfg.os != opt.platform.os || cfg.arch != opt.platform.arch ||
                          !variant_matches(opt.platform, cfg.arch, cfg.variant))) {
    Platform got{cfg.os, cfg.arch, cfg.variant};
    if (opt.platform_given)
      throw Error(str(what, " is for platform ", got.str(), ", not ", opt.platform.str(),
                      " (it is not a multi-platform image)"));
    warn(str(what, " is for platform ", got.str(), ", which does not match this host (", opt.platform.str(), ")"));
  }

  // Only now, with an image to store, does the store get created.
  StoreWriter store(opt.root, opt.limits);
  // Layer downloads: workers ask, this thread starts them on curl's multi.
  struct Req {
    size_t i;
    std::shared_ptr<BlobFeed> feed;
    uint64_t from;
  };
  std::mutex qm;
  std::vector<Req> queue;
  std::vector<LayerDesc> layers;  // as LayerJobs numbers them (unique digests)
  {
    std::set<std::string> seen;
    for (const auto& l : m.layers)
      if (seen.insert(l.digest).second) layers.push_back(l);
  }
  FetchFn fetch = [&](size_t i, const std::shared_ptr<BlobFeed>& feed, uint64_t from) {
    {
      std::lock_guard g(qm);
      queue.push_back({i, feed, from});
    }
    client.wakeup();
  };
  auto pump = [&] {
    std::vector<Req> todo;
    {
      std::lock_guard g(qm);
      todo.swap(queue);
    }
    for (auto& r : todo) {
      auto feed = r.feed;
      client.start_blob(
          layers[r.i].digest, r.from, [feed](const char* p, size_t n) { return feed->append(p, n); },
          [feed](const std::string& err) {
            if (err.empty()) feed->finish();
            else feed->fail(err);
          });
    }
    client.poll(100);
  };
  Result res = store_image(
      store, m, config_body, cfg, {name}, top.digest, opt, fetch, [&] { client.wakeup(); }, pump,
      [&] { client.cancel_all(); });
  log::step("stored ", name, " as ", res.id);
  return res;
}

}  // namespace rt::pull
