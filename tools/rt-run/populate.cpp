// rt-run's own pages, mapped ahead in a few system calls in place of a
// page fault each (13-20 us on the test VM, a paravirtualised guest), and
// its code's mappings given back once it only waits as the supervisor.
//
// Before: a run of `rt-run --rm --network none -m 64m --rootfs R
// /bin/true` took 82 page faults in rt-run's memory (perf record -d -e
// page-faults, by address: text 39, heap 14, data/bss 13, stack and mmap
// 11, read-only data 4, headers 1), about 60 of them before the chain's
// fork, 20 of those in glibc's static start-up before any constructor.
//
// So rt-run starts at its own entry point (tool.mk's rt-run_ENTRY, static
// x86-64 links), as the chain tools start at common/prefault.cpp's: the
// headers, code and read-only data mapped with MADV_POPULATE_READ (shared
// with the page cache: nothing is read or copied), the data and bss with
// MADV_POPULATE_WRITE (a private copy of each of its 23 pages; a run wrote
// 13 of them anyway, and the read-only after relocation part of it, which
// fault-around mapped whole from the page cache, is the same size as a
// copy), and 32 KiB of the stack below the entry's frame. Not
// prefault.cpp's entry itself: that one also maps the heap's whole first
// 132 KiB, which a supervisor would keep (see populate_heap), and clamps
// the code to common/hugetext.ld's layout, which rt-run has not.
// After: 19 faults per run (heap 10: glibc's start-up and the layer
// removal's; the vDSO's data, the TLS, the removal's helper thread 5; the
// entry's own page, the headers, the bss's first write, the exec's stack
// page); rt-run's own CPU 1.0 ms less (perf stat --no-inherit task-clock,
// medians of 150 interleaved runs on the loaded 2-CPU VM, 7.82 -> 6.86).
//
// What stays resident is what a supervisor's PSS counts: mapped whole, the
// code is 2.5 MiB of it, about what a run's faults mapped anyway (each a
// 64 KiB fault-around window: a run touched 39 of its 41). Once the
// container runs and the supervisor has waited kSettleMs with nothing to
// do (supervise.cpp's loop), release_code() drops those mappings
// (MADV_DONTNEED on the read-only file-backed ranges: the page cache
// keeps the pages, the process only its page-table entries), and a
// waiting supervisor's PSS is that much smaller than before: what it
// touches while it waits faults back in, in 64 KiB windows (about 10 of
// them). A container that ends before then (rt-run --rm ... /bin/true)
// never has them given back, and its end runs without the code's faults;
// one that ends after has its supervisor map them once more, in one call
// as the chain's end wakes it (populate_code()), in place of the
// clean-up's faults. Measured (smaps_rollup, 2 s into `rt-run --rm ...
// sleep 3`): foreground PSS 2920 -> 840 KiB, the -d supervisor's 2408 ->
// 904 KiB (the private part 148 -> 208 KiB of it: the read-only after
// relocation data, 44 KiB, a copy now where it was the page cache's, and
// the stack's and heap's pages written ahead). Before it settles, the
// foreground rt-run maps all its code: 3.4 MiB for that second. (A
// debugger's breakpoint in the code, a private copy of its page, would go
// with the release.)
//
// A failure (a kernel before 5.14, a seccomp filter) is ignored: the pages
// then fault in as before.
#include "populate.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "segments.hpp"

namespace rt::run {

namespace {
constexpr ptrdiff_t kHeapBytes = ptrdiff_t{64} * 1024;
}  // namespace

void release_code() { segments::advise(MADV_DONTNEED, 0); }

void populate_code() { segments::advise(MADV_POPULATE_READ, 0); }

// The heap's next pages, first thing in main. Not from the heap's start:
// the C++ library's initialisers take 72 KiB there for the emergency
// exception pool, which nothing writes; nor the arena's whole 132 KiB
// (M_TOP_PAD), of which a run writes about 68 KiB from main's first
// allocation on (perf record of exceptions:page_fault_user): kHeapBytes,
// all of them written before the chain has ended (the layer's removal at
// the end allocates in 32 KiB strides past that, from whose pages it
// writes one each: left to fault).
void populate_heap() {
  // malloc's arena ends at the program break (M_TOP_PAD past what it
  // took); never past it, nor for an mmap'd chunk.
  auto* p = static_cast<char*>(std::malloc(1));
  if (!p) return;
  char* start = p - (reinterpret_cast<uintptr_t>(p) & (segments::kPage - 1));
  auto* brk = static_cast<char*>(::sbrk(0));
  if (start < brk && brk - start <= (ptrdiff_t{1} << 20))
    ::madvise(start, static_cast<size_t>(std::min(brk - start, kHeapBytes)), MADV_POPULATE_WRITE);
  std::free(p);
}

}  // namespace rt::run

#if defined(__x86_64__)
extern "C" RT_BARE __attribute__((used, noinline)) void rt_run_prefault() {
  rt::segments::advise(MADV_POPULATE_READ, MADV_POPULATE_WRITE);
  // And the stack's next kStackBytes below here, which a run writes (5 or
  // 6 faults of its own before). The kernel made the stack's mapping 128
  // KiB larger than the arguments and environment at the exec, so these
  // pages are in it.
  constexpr uintptr_t kStackBytes = uintptr_t{32} * 1024;
  auto sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) & ~(rt::segments::kPage - 1);
  rt::segments::madvise_raw(sp - kStackBytes, sp, MADV_POPULATE_WRITE);
}

// The entry point (tool.mk's rt-run_ENTRY): the kernel's stack and %rdx
// (the loader's clean-up function, none for a static binary) must reach
// _start as they came.
asm(R"(
  .text
  .globl rt_run_start
  .type rt_run_start,@function
rt_run_start:
  push %rdx
  sub $8, %rsp
  call rt_run_prefault
  add $8, %rsp
  pop %rdx
  jmp _start
  .size rt_run_start, .-rt_run_start
)");
#endif
