// remove_dirs_overlapped (fs.hpp) and remove_tree_as_owner (userns.hpp),
// which uses it: a file of their own, so that only the tools that remove
// container layers link the thread.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <system_error>
#include <thread>

#include "error.hpp"
#include "fs.hpp"
#include "process.hpp"
#include "userns.hpp"

namespace rt {

std::error_code remove_dirs_overlapped(int top_fd, const std::vector<std::string>& names) {
  std::atomic<size_t> next{0};
  std::error_code errs[2];
  auto work = [&](std::error_code& first) noexcept {
    for (size_t i; (i = next++) < names.size();)
      if (::unlinkat(top_fd, names[i].c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno_code();
  };
  std::optional<std::thread> helper;
  if (names.size() > 1) {
    try {
      helper.emplace(work, std::ref(errs[1]));
    } catch (const std::system_error&) {
      // no second thread: this one removes them all
    }
  }
  work(errs[0]);
  if (helper) helper->join();
  return errs[0] ? errs[0] : errs[1];
}

// A container's layer (rt-run --rm, rm, gc): 6 or 7 directories (upper,
// work, overlayfs's work/work/incompat/volatile, what the container made).
std::error_code remove_tree_as_owner(const std::string& path) {
  std::error_code ec = remove_tree_at(AT_FDCWD, path, remove_dirs_overlapped);
  if (!ec || ::geteuid() == 0 || (ec.value() != EACCES && ec.value() != EPERM)) return ec;
  pid_t pid = ::fork();
  if (pid < 0) return ec;
  if (pid == 0) run_child([&] { return enter_rootless_userns() && !remove_tree(path) ? 0 : 1; });
  return exit_code_from_wait(wait_child(pid)) == 0 ? std::error_code() : ec;
}

}  // namespace rt
