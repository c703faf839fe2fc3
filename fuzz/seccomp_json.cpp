// docker/OCI seccomp JSON profiles (tools/rt-exec/seccomp.cpp, from_file): the
// file a user names with --security-opt seccomp=FILE. Compiled with
// libseccomp into memory, never loaded.
#include "caps.hpp"
#include "error.hpp"
#include "fuzz.hpp"
#include "rt-exec/seccomp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::MemFile f(fuzz::bytes(data, size));
  for (rt::caps::Set bounding : {rt::caps::docker_default(), rt::caps::all_known()}) {
    try {
      rt::seccomp::Filter filter = rt::seccomp::from_file(f.path(), bounding);
      (void)filter.rules();
    } catch (const rt::Error&) {
    }
  }
  return 0;
}
