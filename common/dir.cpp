// Directory listings: see dir.hpp.
#include "dir.hpp"

#include <algorithm>
#include <boost/filesystem.hpp>

namespace rt {
namespace {

namespace bfs = boost::filesystem;

template <typename Keep> std::vector<std::string> names(const std::string& dir, Keep keep) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  for (bfs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (keep(*it)) out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> dir_names(const std::string& dir) {
  return names(dir, [](const bfs::directory_entry&) { return true; });
}

std::vector<std::string> subdir_names(const std::string& dir) {
  return names(dir, [](const bfs::directory_entry& e) {
    boost::system::error_code ec;
    return e.symlink_status(ec).type() == bfs::directory_file;
  });
}

}  // namespace rt
