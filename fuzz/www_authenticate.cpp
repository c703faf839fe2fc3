// WWW-Authenticate challenges and base64 (tools/rt-pull/registry_auth.cpp): what a
// registry, or anyone between it and rt, sends back on a 401.
#include "error.hpp"
#include "fuzz.hpp"
#include "rt-pull/registry_auth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s = fuzz::bytes(data, size);
  try {
    for (const auto& c : rt::parse_www_authenticate(s)) {
      for (char ch : c.scheme)
        if (ch >= 'A' && ch <= 'Z') fuzz::broken("a scheme is not lower case");
      for (const auto& [k, v] : c.params)
        for (char ch : k)
          if (ch >= 'A' && ch <= 'Z') fuzz::broken("a parameter name is not lower case");
    }
  } catch (const rt::Error&) {
  }
  auto round = rt::base64_decode(rt::base64_encode(s));
  if (!round || *round != s) fuzz::broken("base64 does not round-trip");
  rt::base64_decode(s);
  rt::auth_key_host(s);
  return 0;
}
