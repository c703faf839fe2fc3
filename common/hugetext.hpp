// The chain tools' code in 2 MiB pages: the page-cache loader that rt-run
// and rt-oci call before they start a chain.
//
// rt-cgroup, rt-unshare, rt-mount and rt-exec are linked with
// common/hugetext.ld: their headers and code fill whole 2 MiB blocks from
// address 0x400000 and file offset 0. When the page cache holds such a
// block in one 2 MiB folio, every exec of the tool maps it with one PMD: no
// page faults in the code and, on the test VM (a PVM guest with shadow
// paging), no slow first touch of each page (about 0.3 ms CPU per tool,
// 1.5-2 ms per container, measured). But
// whatever wrote the file (the linker, cp, install) or read it on a cold
// exec left it in small folios, and a tool cannot change that for itself
// (its own pages are mapped while it runs). Hence this loader: it drops
// the range from the page cache while nothing maps it and reads it back
// through a 2 MiB-aligned MADV_HUGEPAGE mapping, whose fault reads it in
// one 2 MiB folio (file systems with large folios: ext4 from Linux 6.16,
// XFS; not Debian 12's 6.1 ext4, where the tools stay in small folios and
// start as fast as before this layout).
//
// It runs once per boot and binary: a marker in the state directory,
// STATE/.hugetext, records the boot (/proc/sys/kernel/random/boot_id) and
// each tool's identity (device, inode, size, mtime, ctime) with what came
// of it. A run whose tools match the marker reads only that file and the
// boot id and stats the four tools. A tool that could not be loaded (a
// running process maps it, small folios only, an old kernel, THP "never")
// is recorded as tried and left as it is until it changes or the machine
// reboots: it costs nothing on later runs.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rt::hugetext {

// The size of a PMD page on x86-64, and what common/hugetext.ld aligns to.
inline constexpr uint64_t kBlock = uint64_t{2} << 20;

// The tools in rt's chains that are linked with that layout.
std::vector<std::string> chain_tools();

// Where a binary's code lies in its file, in whole 2 MiB blocks.
struct TextRange {
  uint64_t offset = 0, length = 0;
};
// From the start of an ELF file (its header and program headers, as read):
// the executable PT_LOAD's whole 2 MiB blocks, when its address and file
// offset are 2 MiB aligned and its file contents reach at least one block's
// end; std::nullopt for any other file (another layout, not ELF, truncated).
std::optional<TextRange> text_range(std::string_view head);

// A file's identity: what changes when it is rewritten, replaced or touched.
struct Identity {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
};
Identity identity_of(const struct stat& st);

// What came of a tool's load: "huge" (its code is in 2 MiB folios),
// "small" (tried: it stays in small folios), "none" (no such layout, or the
// file could not be read).
struct Entry {
  std::string name;
  Identity id;
  std::string state;
};
// The marker's text: "boot BOOT_ID" then "NAME DEV INO SIZE MTIME CTIME STATE"
// per tool, one per line.
std::string format_marker(std::string_view boot_id, const std::vector<Entry>& entries);
// Whether `marker` was written in boot `boot_id` for exactly these tools and
// identities (in any state: tried is done).
bool marker_current(std::string_view marker, std::string_view boot_id, const std::vector<Entry>& now);

// The state `marker` records for `e` (its name and identity), in boot
// `boot_id`; std::nullopt when it records none (another boot, another
// identity: the tool is loaded again, the others keep their lines).
std::optional<std::string> recorded_state(std::string_view marker, std::string_view boot_id, const Entry& e);

// The check, and the load where the marker does not match: `state_dir` is
// where the marker lives (rt-run's state directory, rt-oci's --root),
// `tool_dir` where the tools are. Best effort: it never throws or fails the
// caller; what it did is logged at debug level (RT_LOG=debug).
void ensure_loaded(const std::string& state_dir, const std::string& tool_dir) noexcept;

}  // namespace rt::hugetext
