// Layer entry names (tools/rt-pull/image_unpack.cpp): a tar made from the input is
// unpacked into dest/ of a scratch directory; whatever the names, links and
// their order, nothing may appear outside dest/ (the scratch directory's
// other entry, out/, is where a link aimed with the token @OUT points).
//
// Input: one entry per line, "TYPE NAME[ TARGET]": f file, d directory,
// l symbolic link, h hard link, w a whiteout (.wh.NAME), anything else a
// file. In names and targets, @OUT is the absolute path of out/.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "fuzz.hpp"
#include "rt-pull/image_unpack.hpp"
#include "parse.hpp"

namespace {

std::string scratch;  // made once per process

class Memory : public rt::ByteSource {
 public:
  explicit Memory(std::string b) : buf_(std::move(b)) {}
  size_t read(void* out, size_t n) override {
    n = std::min(n, buf_.size() - off_);
    std::memcpy(out, buf_.data() + off_, n);
    off_ += n;
    return n;
  }

 private:
  std::string buf_;
  size_t off_ = 0;
};

std::string expand(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i, 4) == "@OUT") {
      out += scratch + "/out";
      i += 4;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

// The tar (pax) stream of the entries the input describes.
std::string make_tar(std::string_view input) {
  std::string tar;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &tar, nullptr,
      [](archive*, void* c, const void* b, size_t n) -> la_ssize_t {
        static_cast<std::string*>(c)->append(static_cast<const char*>(b), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const std::string& line : rt::split(input, '\n')) {
    if (line.size() < 3) continue;
    char type = line[0];
    std::string rest = expand(std::string_view(line).substr(2));
    auto sp = rest.find(' ');
    std::string name = rest.substr(0, sp), target = sp == std::string::npos ? "" : rest.substr(sp + 1);
    if (type == 'w') {
      auto slash = name.rfind('/');
      name.insert(slash == std::string::npos ? 0 : slash + 1, ".wh.");
    }
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_perm(e, 0755);
    archive_entry_set_size(e, 0);
    if (type == 'd') archive_entry_set_filetype(e, AE_IFDIR);
    else if (type == 'l') {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, target.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      if (type == 'h') archive_entry_set_hardlink(e, target.c_str());
      else archive_entry_set_size(e, static_cast<la_int64_t>(target.size()));
    }
    archive_write_header(a, e);
    if (type != 'd' && type != 'l' && type != 'h') archive_write_data(a, target.data(), target.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return tar;
}

// Entries of a directory ("." and ".." aside).
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) fuzz::broken("opendir");
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) out.emplace_back(e->d_name);
  ::closedir(d);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/rt-fuzz-layer.XXXXXX";
  if (!::mkdtemp(tmpl)) fuzz::broken("mkdtemp");
  scratch = tmpl;
  ::mkdir((scratch + "/out").c_str(), 0755);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Memory src(make_tar(fuzz::bytes(data, size)));
  if (::mkdir((scratch + "/dest").c_str(), 0755) != 0) fuzz::broken("mkdir dest");
  rt::UniqueFd dest(::open((scratch + "/dest").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  rt::UnpackOptions opt;
  opt.what = "layer";
  opt.limits.max_entries = 10000;
  opt.limits.max_bytes = 64 << 20;
  try {
    rt::unpack_layer(src, dest.get(), opt);
  } catch (const rt::Error&) {
  }
  dest.reset();
  rt::UniqueFd top_fd(::open(scratch.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (std::error_code e = rt::remove_tree_at(top_fd.get(), "dest")) {
    errno = e.value();
    fuzz::broken("cannot remove dest");
  }
  auto top = entries(scratch);
  if (top.size() != 1 || top[0] != "out") fuzz::broken("a layer created something beside its directory");
  if (!entries(scratch + "/out").empty()) fuzz::broken("a layer wrote through a link out of its directory");
  return 0;
}
