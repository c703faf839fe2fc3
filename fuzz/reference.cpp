// Image references (common/image/image_ref.cpp): parse_reference and its
// normalized and familiar forms.
#include "error.hpp"
#include "fuzz.hpp"
#include "image_ref.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s = fuzz::bytes(data, size);
  rt::is_sha256_digest(s);
  rt::is_loopback_registry(s);
  rt::Reference r;
  try {
    r = rt::parse_reference(s);
  } catch (const rt::Error&) {
    return 0;
  }
  if (r.registry.empty() || r.repository.empty()) fuzz::broken("a parsed reference has no registry or repository");
  if (r.tag.empty() && r.digest.empty()) fuzz::broken("a parsed reference has neither tag nor digest");
  if (!r.digest.empty() && !rt::is_sha256_digest(r.digest)) fuzz::broken("a parsed digest is not sha256:<hex>");
  // Both printed forms name the same image: they parse back to it.
  try {
    if (!(rt::parse_reference(r.str()) == r)) fuzz::broken("str() parses to another reference");
    if (rt::normalize_reference(r.str()) != r.str()) fuzz::broken("normalizing is not idempotent");
    rt::Reference f = rt::parse_reference(r.familiar());
    if (f.name() != r.name()) fuzz::broken("familiar() parses to another repository");
  } catch (const rt::Error&) {
    fuzz::broken("a printed form of a valid reference does not parse");
  }
  return 0;
}
