// Manifest, index and config documents as a registry or an archive serves
// them (tools/rt-pull/pull.cpp): each parser gets the same bytes.
#include "error.hpp"
#include "fuzz.hpp"
#include "image_ref.hpp"
#include "rt-pull/pull.hpp"

namespace pull = rt::pull;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(fuzz::bytes(data, size));
  try {
    pull::ImageManifest m = pull::parse_image_manifest("sha256:" + std::string(64, '0'), body, "manifest");
    if (!rt::is_sha256_digest(m.config_digest)) fuzz::broken("a manifest's config digest is not sha256");
    if (m.layers.empty()) fuzz::broken("a manifest without layers was accepted");
    for (const auto& l : m.layers)
      if (!rt::is_sha256_digest(l.digest)) fuzz::broken("a layer digest is not sha256");
  } catch (const rt::Error&) {
  }
  try {
    pull::ConfigInfo c = pull::parse_config(body, "config");
    for (const auto& d : c.diff_ids)
      if (!rt::is_sha256_digest(d)) fuzz::broken("a diff_id is not sha256");
  } catch (const rt::Error&) {
  }
  pull::json doc = pull::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return 0;
  try {
    std::string mt = doc.is_object() && doc.contains("mediaType") && doc["mediaType"].is_string()
                         ? doc["mediaType"].get<std::string>()
                         : "";
    if (pull::is_index_media("", doc) || pull::is_index_media(mt, doc)) {
      pull::json d = pull::select_platform(doc, {"linux", "amd64", ""}, "index");
      if (!d.is_object()) fuzz::broken("select_platform returned no descriptor");
      pull::select_platform(doc, {"linux", "arm", "v7"}, "index");
    }
  } catch (const rt::Error&) {
  }
  return 0;
}
