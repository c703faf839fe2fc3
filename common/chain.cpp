#include "chain.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "error.hpp"
#include "exe_seal.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"

#ifndef RT_VERSION
#define RT_VERSION "0.0.0"
#endif

namespace rt {

// Non-dumpable before main: a process that runs as root (of its user
// namespace) cannot then be opened through /proc/PID/{exe,cwd,root,fd,mem}
// or traced by anything without CAP_SYS_PTRACE over it, such as a
// container it starts or joins. An unprivileged caller stays dumpable: its
// /proc files would become root's, and rt-unshare --user could no longer
// write its own id maps. Each exec makes a process dumpable again; every
// rt tool links this file.
__attribute__((constructor(101))) static void not_dumpable() {
  if (::geteuid() == 0) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static bool takes_value(const po::options_description& desc, const std::string& key) {
  const po::option_description* od = desc.find_nothrow(key, false, false, false);
  return od && od->semantic()->min_tokens() > 0;
}

int find_program_start(int argc, char** argv, const po::options_description& desc) {
  int i = 1;
  while (i < argc) {
    std::string_view a = argv[i];
    if (a == "--") return i + 1;
    if (a.size() < 2 || a[0] != '-') return i;  // first non-option
    if (a.substr(0, 2) == "--") {
      if (a.find('=') == std::string_view::npos && takes_value(desc, std::string(a.substr(2)))) ++i;
      ++i;
      continue;
    }
    // A cluster of short options: -it, -m64M, -m 64M.
    bool consumed_next = false;
    for (size_t k = 1; k < a.size(); ++k) {
      if (takes_value(desc, std::string("-") + a[k])) {
        consumed_next = (k + 1 == a.size());
        break;
      }
    }
    i += consumed_next ? 2 : 1;
  }
  return argc;
}

int parse_chain(int argc, char** argv, po::options_description& desc, po::variables_map& vm, const ToolInfo& info) {
  log::init();
  // clang-format off
  desc.add_options()("help", "print this help and exit")("version", "print the version and exit");
  // clang-format on
  int prog = find_program_start(argc, argv, desc);
  int opt_end = prog;
  if (opt_end > 1 && opt_end <= argc && std::string_view(argv[opt_end - 1]) == "--") --opt_end;
  std::vector<std::string> words(argv + 1, argv + std::min(opt_end, argc));
  try {
    namespace cls = po::command_line_style;
    auto style = cls::unix_style & ~cls::allow_guessing;
    po::store(po::command_line_parser(words).options(desc).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    die(str(e.what(), " (try '", tool_name(), " --help')"));
  }
  if (vm.count("help")) {
    std::cout << "Usage: " << info.usage << "\n" << info.summary << "\n\n" << desc << "\n";
    std::cout.flush();
    std::exit(0);
  }
  if (vm.count("version")) {
    std::printf("%s %s\n", tool_name(), RT_VERSION);
    std::exit(0);
  }
  if (info.program_required && prog >= argc) die(str("no program given (usage: ", info.usage, ")"));
  return prog;
}

void exec_program(char* const* argv) {
  ::execvp(argv[0], argv);
  int err = errno;
  die_sys(err, str("cannot execute ", argv[0]), err == ENOENT ? kExitNotFound : kExitCannotExec);
}

void exec_program_env(char* const* argv, char* const* envp, const char* path) {
  // execvpe looks PATH up in the *current* environment; set it to the
  // payload's PATH first so the lookup matches what the payload will see.
  if (path) ::setenv("PATH", path, 1);
  ::execvpe(argv[0], argv, envp);
  int err = errno;
  die_sys(err, str("cannot execute ", argv[0]), err == ENOENT ? kExitNotFound : kExitCannotExec);
}

namespace {

constexpr char kChainDirVar[] = "RT_CHAIN_DIR";

// The directory identity handed down in RT_CHAIN_DIR by the link that
// started this tool through exec_chain_tool. Plain data, set before main
// (a static with a constructor of its own could be initialised after this
// function ran).
struct HandedDir {
  bool set;
  dev_t dev;
  ino_t ino;
};
HandedDir g_handed_dir;

__attribute__((constructor(102))) void take_handed_dir() {
  const char* v = ::getenv(kChainDirVar);
  if (!v) return;
  unsigned long long dev = 0, ino = 0;
  char end = 0;
  if (std::sscanf(v, "%llu:%llu%c", &dev, &ino, &end) == 2)
    g_handed_dir = {true, static_cast<dev_t>(dev), static_cast<ino_t>(ino)};
  ::unsetenv(kChainDirVar);  // no later program inherits it
}

std::string dir_id(const struct stat& st) {
  return str(static_cast<unsigned long long>(st.st_dev), ":", static_cast<unsigned long long>(st.st_ino));
}

}  // namespace

ChainTool open_chain_tool(const char* prog) {
  std::string_view p = prog;
  auto slash = p.rfind('/');
  std::string_view base = slash == std::string_view::npos ? p : p.substr(slash + 1);
  if (!starts_with(base, "rt-")) return {};
  std::string self = self_dir();
  std::string pdir;
  if (slash == std::string_view::npos) {
    if (self.empty()) return {};
    pdir = self;
  } else {
    pdir = std::string(p.substr(0, slash));
    if (pdir.empty()) pdir = "/";
  }
  UniqueFd dir(::open(pdir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  struct stat d {
  }, s{};
  if (!dir || ::fstat(dir.get(), &d) != 0) {
    if (g_handed_dir.set)
      die(str("cannot run ", prog, ": ", pdir, " is not in this mount namespace (", tool_name(),
              " was started from there)"),
          kExitCannotExec);
    return {};
  }
  bool same = !self.empty() && ::stat(self.c_str(), &s) == 0 && s.st_dev == d.st_dev && s.st_ino == d.st_ino;
  if (!same && g_handed_dir.set) {
    // Started by exec_chain_tool: the directory must be the one the
    // previous link opened us from, and the tool a file of it, not a mount
    // over one.
    if (d.st_dev != g_handed_dir.dev || d.st_ino != g_handed_dir.ino)
      die(str("cannot run ", prog, ": ", pdir, " in this mount namespace is not the directory ", tool_name(),
              " was started from"),
          kExitCannotExec);
    same = true;
  }
  if (!same) return {};  // not a sibling: the new root's
  UniqueFd fd(::openat(dir.get(), std::string(base).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return {};
  if (g_handed_dir.set) {
    struct statx in_dir {
    }, file{};
    if (::statx(dir.get(), "", AT_EMPTY_PATH, STATX_MNT_ID, &in_dir) != 0 ||
        ::statx(fd.get(), "", AT_EMPTY_PATH, STATX_MNT_ID, &file) != 0 || !(in_dir.stx_mask & STATX_MNT_ID) ||
        !(file.stx_mask & STATX_MNT_ID) || in_dir.stx_mnt_id != file.stx_mnt_id)
      die(str("cannot run ", prog, ": it is not a file of ", pdir, " (a mount over it?)"), kExitCannotExec);
  }
  std::string path = str(pdir == "/" ? "" : pdir, "/", base);
  // The ELF header and the program headers, in one read where they follow
  // each other (as the linker puts them); a PT_INTERP among them is a
  // dynamically linked file.
  union {
    Elf64_Ehdr eh;
    unsigned char bytes[4096];
  } head{};
  const Elf64_Ehdr& eh = head.eh;
  ssize_t got = ::pread(fd.get(), head.bytes, sizeof head.bytes, 0);
  bool is_static = got >= static_cast<ssize_t>(sizeof eh) && std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
                   eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr);
  for (unsigned i = 0; is_static && i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    uint64_t at = eh.e_phoff + uint64_t{i} * sizeof ph;
    if (at <= sizeof head.bytes - sizeof ph && at + sizeof ph <= static_cast<uint64_t>(got))
      std::memcpy(&ph, head.bytes + at, sizeof ph);
    else if (::pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(at)) != sizeof ph) is_static = false;
    if (ph.p_type == PT_INTERP) is_static = false;
  }
  if (!is_static)
    die(str("cannot run ", path,
            " after pivot_root: it is not a static executable (its loader and libraries would "
            "come from the container's root)"),
        kExitCannotExec);
  return {read_only_exe(fd.get(), path), dir_id(d), path};
}

std::vector<std::string> chain_tool_env(const ChainTool& tool) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (!starts_with(*e, str(kChainDirVar, "="))) env.emplace_back(*e);
  env.push_back(str(kChainDirVar, "=", tool.dir_id));
  return env;
}

void exec_chain_tool(const ChainTool& tool, char* const* argv) {
  std::vector<std::string> env = chain_tool_env(tool);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  ::execveat(tool.fd.get(), "", argv, envp.data(), AT_EMPTY_PATH);
  int e = errno;
  die_sys(e, str("cannot execute ", argv[0]), e == ENOENT ? kExitNotFound : kExitCannotExec);
}

void vfork_exec_chain_tool(const ChainTool& tool, char* const* argv, char* const* envp) noexcept {
  ::execveat(tool.fd.get(), "", argv, envp, AT_EMPTY_PATH);
  int e = errno;
  vfork_die(e, e == ENOENT ? kExitNotFound : kExitCannotExec, {"cannot execute ", argv[0]});
}

std::vector<std::string> rest_of(int argc, char** argv, int from) {
  std::vector<std::string> v;
  for (int i = from; i < argc; ++i) v.emplace_back(argv[i]);
  return v;
}

}  // namespace rt
