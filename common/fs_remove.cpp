// remove_dirs_overlapped (fs.hpp) and remove_tree_as_owner (userns.hpp),
// which uses it: a file of their own, so that only the tools that remove
// container layers link the thread.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "process.hpp"
#include "userns.hpp"

namespace rt {

namespace {
// What the two threads share. The helper holds it for as long as it runs,
// which may be after remove_dirs_overlapped has returned: on a busy machine
// a new thread often gets no CPU before the caller has removed every
// directory itself, and waiting for it to start only to find nothing left
// (a join) cost up to a scheduler slice, 3-4 ms on the test VM, more than
// the removal. So the caller waits for the removals, not for the thread.
struct Removal {
  int top_fd;
  std::vector<std::string> names;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex m;
  std::error_code first;  // under m

  // top_fd is used only for a name taken here, and the caller waits until
  // each taken name is done: the fd is open for as long as it is used.
  // Each directory is opened before its rmdir and closed after: the rmdir
  // (under the lock of the top directory, which every removal here takes)
  // then only drops the name, and the directory's block is freed, and
  // discarded, at the close, outside that lock. Removed straight away
  // (freed under the lock) the removals queued on it one behind the other,
  // each waiting there for its discard (perf, sched_switch stacks:
  // rwsem_down_write_slowpath in do_rmdir beside blkdev_issue_discard), so
  // two threads overlapped nothing.
  void run() noexcept {
    for (size_t i; (i = next++) < names.size();) {
      int held = ::openat(top_fd, names[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (::unlinkat(top_fd, names[i].c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        std::error_code ec = errno_code();
        std::lock_guard<std::mutex> lock(m);
        if (!first) first = ec;
      }
      if (++done == names.size()) done.notify_all();
      // The last reference: the block is freed here, after the name is
      // counted as done, so that the caller goes on (to remove the top
      // directory, whose own discard then overlaps this one) while a
      // helper still waits for the disk. The process cannot end before
      // its threads have: nothing is left once the caller's process is gone.
      if (held >= 0) ::close(held);
    }
  }
};
}  // namespace

std::error_code remove_dirs_overlapped(int top_fd, const std::vector<std::string>& names) {
  auto r = std::make_shared<Removal>();
  r->top_fd = top_fd;
  r->names = names;
  // One helper: three (one per directory of a fresh layer's four) cost
  // 1-1.5 ms more CPU per rt-run --rm on the 2-CPU test VM and were no
  // faster there (old and new interleaved, 150-600 rounds, load 6-9).
  if (names.size() > 1) {
    try {
      std::thread([r] { r->run(); }).detach();
    } catch (const std::system_error&) {
      // no second thread: this one removes them all
    }
  }
  r->run();
  for (size_t d; (d = r->done.load()) < r->names.size();) r->done.wait(d);
  std::lock_guard<std::mutex> lock(r->m);
  return r->first;
}

// A container's layer (rt-run --rm, rm, gc): 6 or 7 directories (upper,
// work, overlayfs's work/work/incompat/volatile, what the container made).
// Their cost is the disk's: an rmdir that frees a directory's block took a
// median 7 us on a loop ext4 mounted without discard (with or without a
// journal), 3.9 ms on the test VM's / (no journal, discard: freed blocks
// are discarded at once), one after the other at load 4.5 (2026-12-04).
std::error_code remove_tree_as_owner(const std::string& path) {
  // Held across its removal (as run() holds each directory below it): its
  // rmdir then only drops the name, and its block's discard is this close,
  // while the helper still waits for its own.
  UniqueFd top(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  std::error_code ec = remove_tree_at(AT_FDCWD, path, remove_dirs_overlapped);
  top.reset();
  if (!ec || ::geteuid() == 0 || (ec.value() != EACCES && ec.value() != EPERM)) return ec;
  pid_t pid = ::fork();
  if (pid < 0) return ec;
  if (pid == 0) run_child([&] { return enter_rootless_userns() && !remove_tree(path) ? 0 : 1; });
  return exit_code_from_wait(wait_child(pid)) == 0 ? std::error_code() : ec;
}

}  // namespace rt
