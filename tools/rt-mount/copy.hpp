// The vfs storage driver's copy: image layers merged into one directory as
// overlayfs would show them, for a root that needs no overlay at all.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rt::mnt {

struct CopyStats {
  uint64_t entries = 0;  // files, directories, links and nodes made
  uint64_t bytes = 0;    // of regular files' contents
};

// Copy the layers LOWER (top-most first, as overlayfs's lowerdir lists
// them) into the directory DEST_FD, bottom-most first: each layer's files
// replace those of the layers below; a whiteout (a character device 0/0)
// removes what is below it; an opaque directory (trusted.overlay.opaque or
// user.overlay.opaque "y") hides what is below it. Owners, modes, times,
// extended attributes (but overlayfs's own), symbolic links, hard links
// within a layer, FIFOs and, where permitted, device nodes are kept;
// contents go through copy_file_range (a reflink where the file system
// shares blocks). DEST_FD's own owner and mode are left as they are (a
// container root's, as the upper layer's of an overlay). Every walk is
// fd-relative (openat O_NOFOLLOW from the parent's fd): a layer is not
// followed out of by a symbolic link. Throws rt::Error naming the file.
CopyStats copy_layers(const std::vector<std::string>& lower, int dest_fd);

}  // namespace rt::mnt
