// The running binary's loaded segments (its ELF program headers), advised
// with madvise: the chain tools' entry point maps them before glibc's
// start-up (common/prefault.cpp), rt-run's maps them and later gives the
// code's mappings back while it waits (tools/rt-run/populate.cpp).
// Header-only and bare: callable from an entry point, before glibc has set
// anything up (no TLS, so no errno and no stack protector; no libc call on
// x86-64).
#pragma once

#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstdint>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

// Code that may run before glibc has set anything up: no stack protector
// (its canary is in the TLS), no sanitizer's checks.
#define RT_BARE __attribute__((no_stack_protector, no_sanitize("undefined")))

// The ELF header of the running binary, placed by the linker (its name).
extern "C" const ElfW(Ehdr) __ehdr_start  // NOLINT(bugprone-reserved-identifier)
    __attribute__((visibility("hidden")));

namespace rt::segments {

constexpr uintptr_t kPage = 4096;

// madvise(start, end - start, advice); nothing for an empty range. A
// failure (a kernel before 5.14, a seccomp filter) is ignored: the pages
// then fault in as before.
RT_BARE inline void madvise_raw(uintptr_t start, uintptr_t end, long advice) {
  if (end <= start) return;
#if defined(__x86_64__)
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "0"(static_cast<long>(SYS_madvise)), "D"(start), "S"(end - start), "d"(advice)
               : "rcx", "r11", "memory");
  (void)ret;
#else
  int e = errno;
  ::madvise(reinterpret_cast<void*>(start), end - start,  // NOLINT(performance-no-int-to-ptr)
            static_cast<int>(advice));
  errno = e;
#endif
}

// `code` for the read-only segments (headers, code, read-only data:
// file-backed, never written), `data` for the writable ones, 0 to leave
// them; side by side ranges of the same advice in one call. A page a
// read-only segment shares with a writable one after it is the writable
// one's (its mapping, its data): never advised with the code. With
// `exec_end`, the executable segment only up to there (common/hugetext.ld
// pads it with zeros to the next 2 MiB boundary).
RT_BARE inline void advise(long code, long data, uintptr_t exec_end = 0) {
  const auto* eh = &__ehdr_start;
  const auto base = reinterpret_cast<uintptr_t>(eh);
  const auto* ph = reinterpret_cast<const ElfW(Phdr)*>(reinterpret_cast<const char*>(eh) + eh->e_phoff);
  // The load bias: zero for a static non-PIE binary, where the segment at
  // file offset 0 is mapped at its own address.
  uintptr_t bias = 0;
  for (int i = 0; i < eh->e_phnum; ++i)
    if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) bias = base - ph[i].p_vaddr;
  uintptr_t run_start = 0, run_end = 0;
  long run_advice = 0;
  for (int i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type != PT_LOAD) continue;
    uintptr_t start = (bias + ph[i].p_vaddr) & ~(kPage - 1);
    uintptr_t end = (bias + ph[i].p_vaddr + ph[i].p_memsz + kPage - 1) & ~(kPage - 1);
    if ((ph[i].p_flags & PF_X) && exec_end > start && exec_end < end) end = (exec_end + kPage - 1) & ~(kPage - 1);
    bool writable = ph[i].p_flags & PF_W;
    long advice = writable ? data : code;
    if (writable && start < run_end) run_end = start;
    if (advice == run_advice && start == run_end) {
      run_end = end;
      continue;
    }
    if (run_advice) madvise_raw(run_start, run_end, run_advice);
    run_start = start;
    run_end = end;
    run_advice = advice;
  }
  if (run_advice) madvise_raw(run_start, run_end, run_advice);
}

}  // namespace rt::segments
