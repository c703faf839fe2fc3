// The entry point of the static chain tools (linked with
// -Wl,-e,rt_prefault_start, x86-64): before glibc's own start-up, map the
// binary's pages in three system calls (headers and code, read-only data,
// data and bss: common/hugetext.ld's layout) instead of one page fault at
// a time; and, before the C++ initialisers and main, the heap glibc has
// made.
//
// Measured on the test VM (a paravirtualised guest, kernel 6.18): a page
// fault costs 13-20 us there, and a static rt tool takes about 50 of them
// between its exec and its exit (glibc's start-up, the C++ library's
// locale, Boost.Program_options, the tool's own code: each a different
// 64 KiB window of the text, or a page of .data/.bss written for the first
// time). madvise(MADV_POPULATE_READ) maps the whole text and read-only
// data of rt-exec (570 pages, of the page cache) in 60-130 us, and
// MADV_POPULATE_WRITE its 27 data and bss pages in about 20.
//
// What it costs: the process maps every page of its binary (shared with
// the page cache: nothing is read or copied for the text, but its RSS
// counts them), and makes a private copy of every data page (about 100
// KiB) and of the heap's first 132 KiB (a link writes about 50 of them
// anyway) up front. So only the links that exec the next one soon, or
// end, start here (tool.mk's rt-NAME_PREFAULT: rt-cgroup, rt-unshare,
// rt-mount, rt-exec). Those that stay keep it resident: an rt-exec --init
// (the container's init) 100 KiB more, an rt-unshare that waits for PID 1
// (rt-run -t, rootless; in rt-run's other chains it hands PID 1 over and
// ends) 240 KiB more PSS. rt-run stays as the supervisor: not this entry
// point (with it its PSS grew by 400 KiB), but one of its own,
// tools/rt-run/populate.cpp's, which maps the binary the same way but
// not the heap's whole 132 KiB, and gives the code's mappings back once
// rt-run only waits for its container (82 -> 19 faults per run, and a
// waiting supervisor's PSS 2.9 -> 0.8 MiB: see there).
// With a cold page cache (the first start after a boot) it reads the whole
// binary from disk once, where the faults would have read what was used.
//
// The entry point runs before anything is set up: no TLS (so no errno and
// no stack protector), no libc call, only the two raw system calls. A
// failure (a kernel before 5.14, a seccomp filter) is ignored: the pages
// then fault in as before.
#if defined(__x86_64__)
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "segments.hpp"

using rt::segments::madvise_raw;

// Where the code ends (below; common/hugetext.ld, which every link with
// this entry point uses, places it after .fini): the executable segment
// runs on to the next 2 MiB boundary in zeros, which no page of the
// process needs.
extern "C" const char rt_text_end[] __attribute__((visibility("hidden")));

// The headers, code and read-only data (common/hugetext.ld puts the code
// and the read-only data in two segments: two calls), then the data and
// bss. The code's segment only up to the code's end, not its 2 MiB
// padding: with the page cache in small folios the process maps what it
// did before the layout (in a 2 MiB folio the first page maps it all).
extern "C" RT_BARE __attribute__((used, noinline)) void rt_prefault() {
  rt::segments::advise(MADV_POPULATE_READ, MADV_POPULATE_WRITE, reinterpret_cast<uintptr_t>(rt_text_end));
}

// The heap, once glibc is up: its start-up made malloc's arena, whose top
// reaches the program break (M_TOP_PAD, 128 KiB, past what it took), and
// each page of it would fault in when first written: 11-16 faults per
// link in rt-run's chain. Mapped here, in one call, before the C++
// library's initialisers and main allocate from it.
__attribute__((constructor(101))) static void rt_prefault_heap() {
  void* p = std::malloc(1);
  auto start = reinterpret_cast<uintptr_t>(p) & ~(uintptr_t{4096} - 1);
  auto end = reinterpret_cast<uintptr_t>(::sbrk(0));
  // (a chunk below the break, and the arena's own size: not an mmap'd one)
  if (p && start < end && end - start <= (uintptr_t{1} << 20)) madvise_raw(start, end, MADV_POPULATE_WRITE);
  std::free(p);
}

// glibc's static start-up (_dl_non_dynamic_init) asks for the directory of
// the binary, for $ORIGIN in the search paths of a later dlopen, with a
// readlink of /proc/self/exe: the first lookup of /proc/self in a new
// process, 20-50 us on the test VM (the step took 80-120 us of rt-exec's
// start-up with the malloc of the answer; without it rt-exec reached main
// 70-80 us sooner: timestamp probe, medians of 200 runs). No rt tool
// dlopens with $ORIGIN, so the link routes that call here
// (-Wl,--wrap=_dl_get_origin, with the entry point) and it answers
// "unknown", what glibc itself answers when the readlink fails. In rt-run's
// chain that readlink was the only one of rt-cgroup, rt-unshare and rt-exec
// (whose answer after pivot_root was "/"); a tool that wants its own
// directory (self_dir) still reads it. A glibc without the function leaves
// this unused.
extern "C" const char* __wrap__dl_get_origin() {  // NOLINT(bugprone-reserved-identifier)
  return reinterpret_cast<const char*>(-1);       // NOLINT(performance-no-int-to-ptr)
}

// The end of the code for common/hugetext.ld, which places this section
// after .fini and pads it to the next 2 MiB boundary.
asm(R"(
  .section .rt_text_end,"ax",@progbits
  .globl rt_text_end
  .hidden rt_text_end
rt_text_end:
  int3
  .text
)");

// The entry point: the kernel's stack and %rdx (the loader's clean-up
// function, none for a static binary) must reach _start as they came.
asm(R"(
  .text
  .globl rt_prefault_start
  .type rt_prefault_start,@function
rt_prefault_start:
  push %rdx
  sub $8, %rsp
  call rt_prefault
  add $8, %rsp
  pop %rdx
  jmp _start
  .size rt_prefault_start, .-rt_prefault_start
)");
#endif
