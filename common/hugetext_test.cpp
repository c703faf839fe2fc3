// Unit tests of hugetext.cpp: the layout check and the marker.
#include "hugetext.hpp"

#include <doctest/doctest.h>
#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "unit_support.hpp"

using namespace rt;
using namespace rt::hugetext;

namespace {

// An ELF header and program headers: a read-only segment at offset 0 and
// an executable one as given.
std::string elf_head(uint64_t x_offset, uint64_t x_vaddr, uint64_t x_filesz) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_phoff = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  Elf64_Phdr ph[2]{};
  ph[0].p_type = PT_LOAD;
  ph[0].p_flags = PF_R;
  ph[0].p_vaddr = 0x400000;
  ph[0].p_filesz = 0x518;
  ph[1].p_type = PT_LOAD;
  ph[1].p_flags = PF_R | PF_X;
  ph[1].p_offset = x_offset;
  ph[1].p_vaddr = x_vaddr;
  ph[1].p_filesz = x_filesz;
  std::string s(reinterpret_cast<const char*>(&eh), sizeof eh);
  s.append(reinterpret_cast<const char*>(ph), sizeof ph);
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("text_range: the executable segment's whole 2 MiB blocks, only in the 2 MiB layout") {
  auto r = text_range(elf_head(0x200000, 0x600000, 0x200000));
  REQUIRE(r);
  CHECK(r->offset == 0x200000);
  CHECK(r->length == 0x200000);
  // Code over two blocks and a bit: the whole blocks.
  r = text_range(elf_head(0x200000, 0x600000, 0x401000));
  REQUIRE(r);
  CHECK(r->length == 0x400000);
  // The layout of a link without common/hugetext.ld: 4 KiB aligned.
  CHECK_FALSE(text_range(elf_head(0x1000, 0x401000, 0x77d01)));
  // Aligned in address but not in the file, and the other way round.
  CHECK_FALSE(text_range(elf_head(0x1000, 0x600000, 0x200000)));
  CHECK_FALSE(text_range(elf_head(0x200000, 0x601000, 0x200000)));
  // Less than one block of file contents.
  CHECK_FALSE(text_range(elf_head(0x200000, 0x600000, 0x1ff000)));
  // Not ELF, or cut short.
  CHECK_FALSE(text_range("#!/bin/sh\n"));
  std::string h = elf_head(0x200000, 0x600000, 0x200000);
  CHECK_FALSE(text_range(h.substr(0, h.size() - 1)));
}

TEST_CASE("marker: current only for this boot and exactly these identities") {
  std::vector<Entry> now = {{"rt-cgroup", {1, 2, 3, 4, 5}, ""}, {"rt-exec", {1, 7, 8, 9, 10}, ""}};
  std::vector<Entry> done = now;
  done[0].state = "huge";
  done[1].state = "small";
  std::string m = format_marker("b00t", done);
  CHECK(m == "boot b00t\nrt-cgroup 1 2 3 4 5 huge\nrt-exec 1 7 8 9 10 small\n");
  CHECK(marker_current(m, "b00t", now));
  CHECK_FALSE(marker_current(m, "other", now));
  auto touched = now;
  touched[1].id.mtime_ns = 11;
  CHECK_FALSE(marker_current(m, "b00t", touched));
  auto replaced = now;
  replaced[0].id.ino = 12;
  CHECK_FALSE(marker_current(m, "b00t", replaced));
  CHECK_FALSE(marker_current(m, "b00t", {now[0]}));
  CHECK_FALSE(marker_current(m + "rt-mount 1 2 3 4 5 huge\n", "b00t", now));
  CHECK_FALSE(marker_current(m.substr(0, m.size() - 1), "b00t", now));
  CHECK_FALSE(marker_current("", "b00t", now));
  CHECK_FALSE(marker_current(format_marker("b00t", now), "b00t", now));  // no state: not written by a load
  // What it records per tool: a changed tool has no state, the others keep theirs.
  CHECK(recorded_state(m, "b00t", now[0]) == "huge");
  CHECK(recorded_state(m, "b00t", now[1]) == "small");
  CHECK_FALSE(recorded_state(m, "b00t", touched[1]));
  CHECK_FALSE(recorded_state(m, "other", now[0]));
  CHECK_FALSE(recorded_state("", "b00t", now[0]));
}

TEST_CASE("ensure_loaded: writes the marker once, again when a tool changes") {
  std::string d = unit::temp_dir();
  std::string tools = d + "/bin", state = d + "/state";
  REQUIRE(::mkdir(tools.c_str(), 0755) == 0);
  for (const auto& t : chain_tools()) std::ofstream(tools + "/" + t) << "#!/bin/sh\n";
  ensure_loaded(state, tools);
  std::string marker = state + "/.hugetext";
  std::string m = slurp(marker);
  CHECK(m.rfind("boot ", 0) == 0);
  CHECK(m.find("rt-exec ") != std::string::npos);
  CHECK(m.find(" none\n") != std::string::npos);  // not ELF: nothing to load
  struct stat before {
  }, after{};
  REQUIRE(::stat(marker.c_str(), &before) == 0);
  ensure_loaded(state, tools);  // matches: not written again
  REQUIRE(::stat(marker.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  std::ofstream(tools + "/rt-mount") << "#!/bin/sh\nexit 0\n";  // changed
  ensure_loaded(state, tools);
  REQUIRE(::stat(marker.c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);
  CHECK(slurp(marker) != m);
  for (const auto& t : chain_tools()) ::unlink((tools + "/" + t).c_str());
  ::unlink(marker.c_str());
  ::unlink((marker + ".lock").c_str());
  ::rmdir(state.c_str());
  ::rmdir(tools.c_str());
  ::rmdir(d.c_str());
}
