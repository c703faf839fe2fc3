// The chain tools' code in 2 MiB pages (see hugetext.hpp).
#include "hugetext.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <exception>

#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace rt::hugetext {

std::vector<std::string> chain_tools() { return {"rt-cgroup", "rt-unshare", "rt-mount", "rt-exec"}; }

std::optional<TextRange> text_range(std::string_view head) {
  Elf64_Ehdr eh;
  if (head.size() < sizeof eh) return std::nullopt;
  std::memcpy(&eh, head.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > head.size() ||
      (head.size() - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
    return std::nullopt;
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, head.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    uint64_t length = ph.p_filesz / kBlock * kBlock;
    if (ph.p_offset % kBlock != 0 || ph.p_vaddr % kBlock != 0 || length == 0) return std::nullopt;
    return TextRange{ph.p_offset, length};
  }
  return std::nullopt;
}

Identity identity_of(const struct stat& st) {
  auto ns = [](const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; };
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
          ns(st.st_mtim), ns(st.st_ctim)};
}

namespace {

// "NAME DEV INO SIZE MTIME CTIME ": a marker line up to its state.
std::string identity_words(const Entry& e) {
  return str(e.name, ' ', e.id.dev, ' ', e.id.ino, ' ', e.id.size, ' ', e.id.mtime_ns, ' ', e.id.ctime_ns, ' ');
}

}  // namespace

std::string format_marker(std::string_view boot_id, const std::vector<Entry>& entries) {
  std::string out = str("boot ", boot_id, '\n');
  for (const auto& e : entries) out += identity_words(e) + e.state + '\n';
  return out;
}

bool marker_current(std::string_view marker, std::string_view boot_id, const std::vector<Entry>& now) {
  auto next_line = [&marker](std::string_view& line) {
    auto nl = marker.find('\n');
    if (nl == std::string_view::npos) return false;
    line = marker.substr(0, nl);
    marker.remove_prefix(nl + 1);
    return true;
  };
  std::string_view line;
  if (!next_line(line) || line != str("boot ", boot_id)) return false;
  for (const auto& e : now) {
    std::string words = identity_words(e);
    if (!next_line(line) || line.size() <= words.size() || line.substr(0, words.size()) != words) return false;
  }
  return marker.empty();
}

std::optional<std::string> recorded_state(std::string_view marker, std::string_view boot_id, const Entry& e) {
  std::string first = str("boot ", boot_id, '\n');
  if (marker.substr(0, first.size()) != first) return std::nullopt;
  std::string words = '\n' + identity_words(e);
  auto at = marker.find(words);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = marker.substr(at + words.size());
  auto nl = rest.find('\n');
  if (nl == std::string_view::npos || nl == 0) return std::nullopt;
  return std::string(rest.substr(0, nl));
}

namespace {

constexpr const char* kBootId = "/proc/sys/kernel/random/boot_id";

// A small file in one read(2) (the marker, the boot id: the check on every
// run); "" when it cannot be read or is larger than that read.
std::string read_small(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  char buf[4096];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  return n > 0 && static_cast<size_t>(n) < sizeof buf ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string boot_id() {
  std::string b = read_small(kBootId);
  while (!b.empty() && (b.back() == '\n' || b.back() == ' ')) b.pop_back();
  return b;
}

// FilePmdMapped of this process, in kB (0 where the kernel does not say).
uint64_t file_pmd_mapped_kb() {
  std::string s = read_file("/proc/self/smaps_rollup");
  auto at = s.find("\nFilePmdMapped:");
  return at == std::string::npos ? 0 : std::strtoull(s.c_str() + at + 15, nullptr, 10);
}

// An address range this process maps, unmapped at the end of the scope.
class Mapping {
 public:
  Mapping(void* p, size_t n) : p_(p), n_(n) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { ::munmap(p_, n_); }

 private:
  void* p_;
  size_t n_;
};

// Whether the file's range `r` is in 2 MiB folios: mapped 2 MiB aligned,
// MADV_HUGEPAGE, populated, and counted in FilePmdMapped. A range not in
// the page cache is read so, in 2 MiB folios where the file system and
// THP allow (the fault's read-ahead of a VM_HUGEPAGE mapping).
bool in_2m_folios(int fd, const TextRange& r, const std::string& path) {
  size_t span = r.length + kBlock;
  void* area = ::mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) throw_errno("cannot reserve address space for a 2 MiB-aligned mapping");
  Mapping reserved(area, span);
  char* aligned = static_cast<char*>(area) + (kBlock - reinterpret_cast<uintptr_t>(area) % kBlock) % kBlock;
  void* at = ::mmap(aligned, r.length, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, static_cast<off_t>(r.offset));
  if (at == MAP_FAILED) throw_errno(str("cannot map ", path));
  if (::madvise(at, r.length, MADV_HUGEPAGE) != 0) throw_errno(str("madvise MADV_HUGEPAGE: ", path));
  uint64_t before = file_pmd_mapped_kb();
  if (::madvise(at, r.length, MADV_POPULATE_READ) != 0) throw_errno(str("madvise MADV_POPULATE_READ: ", path));
  return file_pmd_mapped_kb() >= before + r.length / 1024;
}

Entry load_tool(const std::string& tool_dir, const std::string& name) {
  Entry e{name, {}, "none"};
  std::string path = tool_dir + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    log::step("code of ", name, ": cannot read ", path);
    return e;
  }
  e.id = identity_of(st);
  char head[4096];
  ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
  auto r = n > 0 ? text_range(std::string_view(head, static_cast<size_t>(n))) : std::nullopt;
  if (!r) {
    log::step("code of ", name, ": not laid out in 2 MiB blocks");
    return e;
  }
  e.state = "small";
  try {
    if (in_2m_folios(fd.get(), *r, path)) {
      e.state = "huge";
      log::step("code of ", name, ": already in 2 MiB pages");
      return e;
    }
    // Dirty pages (a fresh link, cp) stay in the cache: written first. A
    // page some process maps stays too, and the read below then finds it.
    if (::fdatasync(fd.get()) != 0) throw_errno(str("fdatasync ", path));
    int err =
        ::posix_fadvise(fd.get(), static_cast<off_t>(r->offset), static_cast<off_t>(r->length), POSIX_FADV_DONTNEED);
    if (err != 0) throw_errno(str("posix_fadvise DONTNEED ", path), err);
    if (in_2m_folios(fd.get(), *r, path)) e.state = "huge";
    log::step("code of ", name, e.state == "huge" ? ": loaded in 2 MiB pages" : ": stays in small pages");
  } catch (const Error& x) {
    log::step("code of ", name, ": stays in small pages: ", x.what());
  }
  return e;
}

}  // namespace

void ensure_loaded(const std::string& state_dir, const std::string& tool_dir) noexcept {
  try {
    std::string boot = boot_id();
    std::vector<Entry> now;
    for (auto& name : chain_tools()) {
      Entry e{name, {}, ""};
      struct stat st {};
      if (::stat((tool_dir + "/" + name).c_str(), &st) == 0) e.id = identity_of(st);
      now.push_back(std::move(e));
    }
    const std::string marker = state_dir + "/.hugetext";
    if (marker_current(read_small(marker), boot, now)) {
      log::step("chain tools' code: as recorded for this boot in ", marker);
      return;
    }
    // One loader at a time; whoever waited finds the marker written.
    mkdir_p(state_dir, 0700);
    std::string lock_path = marker + ".lock";
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock) throw_errno(str("cannot open ", lock_path));
    if (::flock(lock.get(), LOCK_EX) != 0) throw_errno(str("cannot lock ", lock_path));
    std::string old = read_small(marker);
    if (marker_current(old, boot, now)) return;
    // Only the tools that changed (or all, in a new boot).
    std::vector<Entry> done;
    for (auto& e : now) {
      auto state = recorded_state(old, boot, e);
      done.push_back(state ? Entry{e.name, e.id, *state} : load_tool(tool_dir, e.name));
    }
    write_file_atomic(marker, format_marker(boot, done), 0600, false);
    log::step("chain tools' code: recorded in ", marker);
  } catch (const std::exception& x) {
    log::debug("chain tools' code: not loaded in 2 MiB pages: ", x.what());
  }
}

}  // namespace rt::hugetext
