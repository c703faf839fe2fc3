// Unpacking one image layer, safely, in one streaming pass (libarchive,
// libcrypto):
//
//   blob bytes -> SHA-256 (the blob digest)
//              -> decompression (gzip, zstd or none, detected by magic)
//              -> SHA-256 (the diff_id)
//              -> tar reader -> files below the layer's own directory
//
// Nothing a layer holds can create or change a file outside that directory:
// names with "..", absolute names, names that go through a symbolic link
// (even one the layer itself made), hard links whose target is not in the
// layer, and whiteouts that would reach out are errors naming the entry.
// Every path is resolved with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
// from the layer's directory fd.
//
// Whiteouts become what overlayfs understands: ".wh.NAME" a character
// device 0/0 named NAME, ".wh..wh..opq" the xattr trusted.overlay.opaque=y
// on its directory (user.overlay.opaque=y without CAP_SYS_ADMIN, for a
// mount with -o userxattr). Overlay xattrs carried by the layer itself are
// dropped: only whiteouts make them.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "error.hpp"

namespace rt {

// Where the blob's bytes come from. read() blocks until at least one byte is
// there, returns 0 at the end, throws rt::Error on failure.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual size_t read(void* buf, size_t n) = 0;
};

// What one layer may unpack to, against decompression bombs and layers of
// endless entries: far above any real image unless lowered. Bytes count
// the uncompressed tar stream and, apart, the files' sizes (sparse holes
// included: a file is as large as it says).
struct UnpackLimits {
  uint64_t max_bytes = uint64_t{64} << 30;  // 64 GiB
  uint64_t max_entries = 10'000'000;
};
// The defaults, or RT_MAX_LAYER_SIZE (a size: 64G, 500M...) and
// RT_MAX_LAYER_ENTRIES when set. Throws rt::Error on a bad value.
UnpackLimits unpack_limits_from_env();

struct UnpackOptions {
  bool extract = true;      // false: only verify (hash) the blob, create nothing
  bool privileged = false;  // the host's root: device nodes, trusted.* xattrs
  bool owners = false;      // root (of a user namespace too): keep the entries' owners
  std::string what;         // "layer sha256:abcd..." for messages
  // Progress counters, updated as it goes (may be null).
  std::atomic<uint64_t>* consumed = nullptr;  // blob bytes read
  // When set, a blob whose bytes do not hash to this (or are not this many)
  // is reported as such, in preference to whatever else went wrong while
  // unpacking it (a corrupted blob usually fails to decompress first).
  std::string expected_digest;
  uint64_t expected_size = 0;
  UnpackLimits limits;
};

// Thrown when the blob's digest or size is not what was expected.
struct DigestMismatch : Error {
  using Error::Error;
};

struct UnpackResult {
  std::string digest;   // sha256 of the blob bytes
  uint64_t size = 0;    // blob bytes
  std::string diff_id;  // sha256 of the uncompressed tar
  uint64_t diff_size = 0;
  uint64_t files = 0;       // entries created
  uint64_t file_bytes = 0;  // bytes of regular files
  std::string compression;  // "gzip", "zstd", "none"
};

// Unpack `src` into the directory `dest_fd` (empty, the layer's root). On an
// error the directory holds a partial layer: the caller discards it.
UnpackResult unpack_layer(ByteSource& src, int dest_fd, const UnpackOptions& opt);

}  // namespace rt
