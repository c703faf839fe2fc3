// Shared by the libFuzzer harnesses (make fuzz). Each harness feeds one
// parser bytes it did not choose and checks what must hold for any input:
// the parser returns or throws rt::Error, nothing else (any other exception,
// an ASan or UBSan report, or a broken property below is a crash).
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace fuzz {

inline std::string_view bytes(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

// A property that must hold failed: say which and crash (libFuzzer keeps
// the input).
[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "fuzz: property broken: %s\n", what);
  std::abort();
}

// The input as a file the code under test opens by path: a memfd, named
// through /proc/self/fd. Closed by the destructor.
class MemFile {
 public:
  explicit MemFile(std::string_view content) : fd_(::memfd_create("fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0 || ::write(fd_, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
      std::perror("fuzz: memfd");
      std::abort();
    }
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// Split the input at NUL bytes into up to N fields (the last takes the rest).
template <size_t N> inline std::array<std::string_view, N> fields(std::string_view s) {
  std::array<std::string_view, N> out{};
  for (size_t i = 0; i + 1 < N; ++i) {
    size_t z = s.find('\0');
    if (z == std::string_view::npos) {
      out[i] = s;
      return out;
    }
    out[i] = s.substr(0, z);
    s.remove_prefix(z + 1);
  }
  out[N - 1] = s;
  return out;
}

}  // namespace fuzz
