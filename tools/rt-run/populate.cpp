// The heap's next pages, mapped in one system call as rt-run's main
// starts, in place of a page fault each (13-20 us on the test VM, a
// paravirtualised guest) when first written before the chain's fork.
//
// Not common/prefault.cpp's whole binary: rt-run stays as the supervisor,
// and its resident memory must not grow. Only what every run writes anyway:
// from main's first allocation on, a run of `rt-run --rm --network none
// -m 64m --rootfs R /bin/true` wrote 68 KiB of the heap (44 before the
// fork; perf record of exceptions:page_fault_user), so kHeapBytes below
// that. Not from the heap's start: the C++ library's initialisers take 72
// KiB there for the emergency exception pool, which nothing writes.
//
// Measured and left out: mapping rt-run's text as well (MADV_POPULATE_READ,
// in a constructor before the C++ initialisers) took 25 more faults away
// and 0.2-0.3 ms of rt-run's own CPU, but made the supervisor's PSS 64 KiB
// larger: fault-around maps the text in 64 KiB windows, and a run leaves
// one of them (of 40) untouched.
//
// A failure (a kernel before 5.14, a seccomp filter) is ignored: the pages
// then fault in as before.
#include "populate.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace rt::run {

namespace {
constexpr uintptr_t kPage = 4096;
constexpr ptrdiff_t kHeapBytes = ptrdiff_t{40} * 1024;
}  // namespace

void populate_heap() {
  // malloc's arena ends at the program break (M_TOP_PAD past what it
  // took); never past it, nor for an mmap'd chunk.
  auto* p = static_cast<char*>(std::malloc(1));
  if (!p) return;
  char* start = p - (reinterpret_cast<uintptr_t>(p) & (kPage - 1));
  auto* brk = static_cast<char*>(::sbrk(0));
  if (start < brk && brk - start <= (ptrdiff_t{1} << 20))
    ::madvise(start, static_cast<size_t>(std::min(brk - start, kHeapBytes)), MADV_POPULATE_WRITE);
  std::free(p);
}

}  // namespace rt::run
