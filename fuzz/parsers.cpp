// Option values (common/parse.cpp, common/userns.cpp, tools/rt-exec/passwd.cpp):
// sizes, durations, numbers, K=V, id maps, and --user against a passwd and a
// group file. Input: VALUE \0 PASSWD \0 GROUP.
#include "error.hpp"
#include "fuzz.hpp"
#include "parse.hpp"
#include "rt-exec/passwd.hpp"
#include "userns.hpp"

template <typename F> static void attempt(F&& f) {
  try {
    f();
  } catch (const rt::Error&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // (no structured binding: clang 14 cannot capture one in a lambda)
  auto f = fuzz::fields<3>(fuzz::bytes(data, size));
  std::string_view value = f[0], passwd = f[1], group = f[2];
  attempt([&] { rt::parse_size(value); });
  attempt([&] {
    if (rt::parse_duration_ms(value) < 0) fuzz::broken("a negative duration was accepted");
  });
  attempt([&] {
    if (rt::parse_uint(value, "n", 1000) > 1000) fuzz::broken("parse_uint exceeded its maximum");
  });
  attempt([&] { rt::parse_int(value, "n"); });
  attempt([&] { rt::parse_double(value, "n"); });
  attempt([&] {
    if (rt::parse_kv(value, "kv").first.empty()) fuzz::broken("parse_kv accepted an empty key");
  });
  attempt([&] { rt::parse_id_map(std::string(value), "--uid-map"); });
  if (rt::join(rt::split(value, ','), ",") != value) fuzz::broken("split and join do not round-trip");
  rt::shell_quote(value);
  rt::parse_passwd(passwd);
  rt::parse_group(group);
  fuzz::MemFile p(passwd), g(group);
  attempt([&] {
    rt::Identity id = rt::resolve_user(value, p.path(), g.path());
    if (id.uid > rt::kMaxId || id.gid > rt::kMaxId) fuzz::broken("an id above 2^31-1 was accepted");
  });
  attempt([&] { rt::resolve_groups(value, g.path()); });
  return 0;
}
