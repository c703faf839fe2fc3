/* seccomp-probe: what the seccomp filters this process runs under do with
 * each system call number, found without ever running one.
 *
 *   seccomp-probe SPEC...      SPEC: ABI:FIRST[-LAST][:ARG0]
 *                              ABI:  x86_64, x32 (its bit is added) or i386
 *
 * prints "capbnd HEX" (the bounding set, to compute the expectation) and
 * then one line per call: "ABI NR ARG0 allow" or "ABI NR ARG0 errno N", or
 * "ABI NR ARG0 exempt" for x86-64's uretprobe (335) and uprobe (336): the
 * kernel runs them past every filter (since Linux 6.13 and in stable
 * kernels before; it checks the caller itself and kills a wrong one), so
 * the probe does not make them.
 *
 * How: a thread adds one filter of its own, which turns every call that
 * carries a marker in its last two arguments into a user notification
 * (SECCOMP_RET_USER_NOTIF), and the main thread answers each one with
 * EHWPOISON. The kernel runs every filter and keeps the strictest action:
 * an ERRNO of the filter under test beats the notification (the call fails
 * with that errno, and nobody is notified); its ALLOW does not (the call
 * fails with EHWPOISON, an errno no profile here uses). Either way the call
 * itself never runs: nothing is blocked on, killed or changed, whatever the
 * number, and "refused by the filter" cannot be confused with "refused by
 * the kernel". The thread's own calls carry no marker.
 *
 * Exit status: 0 done, 2 an ABI the kernel does not provide (the message
 * says which), 1 anything else. Build: cc -static -pthread. x86-64 only. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "seccomp-probe makes raw x86-64 system calls"
#endif

#define MARK 0x5ecc0b5eL
#define X32_BIT 0x40000000L
#define ANSWER EHWPOISON
#define MAX_CALLS 8192

enum abi { X86_64, X32, I386 };
static const char* abi_name[] = {"x86_64", "x32", "i386"};

struct call {
  enum abi abi;
  long nr, arg0, ret;
};
static struct call calls[MAX_CALLS];
static int ncalls;
static int listener_pipe[2], done_pipe[2];
static volatile long current_nr = -1;  // the number being probed, for the supervisor's check

static void die(const char* what) {
  fprintf(stderr, "seccomp-probe: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* One call with the marker; r8/r9 (and edi/ebp for i386) are cleared
 * afterwards so that no later call of the C library carries it. */
static long call_x86_64(long nr, long a0) {
  long ret;
  register long r10 __asm__("r10") = 0;
  register long r8 __asm__("r8") = MARK;
  register long r9 __asm__("r9") = MARK;
  __asm__ volatile("syscall\n\txor %%r8d, %%r8d\n\txor %%r9d, %%r9d"
                   : "=a"(ret), "+r"(r8), "+r"(r9), "+r"(r10)
                   : "a"(nr), "D"(a0), "S"(0L), "d"(0L)
                   : "rcx", "r11", "memory");
  return ret;
}

static long call_i386(long nr, long a0, long mark) {
  long ret, edi = mark;
  /* int $0x80 takes arguments in ebx, ecx, edx, esi, edi, ebp. rbp may be
   * the frame pointer and the red zone lies below rsp: step over both. */
  __asm__ volatile(
      "lea -128(%%rsp), %%rsp\n\t"
      "push %%rbp\n\t"
      "mov %k[m], %%ebp\n\t"
      "int $0x80\n\t"
      "pop %%rbp\n\t"
      "lea 128(%%rsp), %%rsp\n\t"
      "xor %%edi, %%edi"
      : "=a"(ret), "+D"(edi)
      : "a"(nr), "b"(a0), "c"(0L), "d"(0L), "S"(0L), [m] "r"(mark)
      : "r8", "r9", "r10", "r11", "memory");
  return ret;
}

/* Does this kernel deliver int $0x80? (Without IA32 emulation, or in a
 * PVM guest, the instruction faults: SIGSEGV.) Tried in a child, with
 * getpid. */
static int have_i386(void) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) _exit(call_i386(20, 0, 0) == getpid() ? 0 : 1);
  int st;
  if (waitpid(pid, &st, 0) < 0) die("waitpid");
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void* prober(void* unused) {
  (void)unused;
  /* arch is x86-64 or i386, args[4] and args[5] both the marker (the high
   * words zero): notify; anything else: allow. */
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 9),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MARK, 0, 7),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4]) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MARK, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[5]) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) die("cannot add the probe's own filter (SECCOMP_RET_USER_NOTIF needs Linux 5.0)");
  if (write(listener_pipe[1], &fd, sizeof fd) != sizeof fd) die("write");
  for (int i = 0; i < ncalls; i++) {
    struct call* c = &calls[i];
    if (c->abi == X86_64 && (c->nr == 335 || c->nr == 336)) continue;
    current_nr = c->nr;
    if (c->abi == I386) c->ret = call_i386(c->nr, c->arg0, MARK);
    else c->ret = call_x86_64(c->abi == X32 ? c->nr | X32_BIT : c->nr, c->arg0);
  }
  if (write(done_pipe[1], "", 1) != 1) die("write");
  return NULL;
}

/* Answer every notification with ANSWER until the prober is done. A
 * minute without news means something is wrong: give up. */
static void supervise(void) {
  int fd;
  if (read(listener_pipe[0], &fd, sizeof fd) != sizeof fd) die("read");
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {done_pipe[0], POLLIN, 0}};
    int n = poll(p, 2, 60000);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("poll");
    if (n == 0) {
      fprintf(stderr, "seccomp-probe: no progress for 60 s (at number %ld)\n", current_nr);
      exit(1);
    }
    if (p[0].revents & POLLIN) {
      struct seccomp_notif req;
      struct seccomp_notif_resp resp;
      memset(&req, 0, sizeof req);
      if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
        if (errno == EINTR || errno == ENOENT) continue;
        die("SECCOMP_IOCTL_NOTIF_RECV");
      }
      long want = current_nr;
      long got = req.data.nr & ~(req.data.arch == AUDIT_ARCH_X86_64 ? X32_BIT : 0);
      if (got != want) {
        fprintf(stderr, "seccomp-probe: notified of number %d while probing %ld\n", req.data.nr, want);
        exit(1);
      }
      memset(&resp, 0, sizeof resp);
      resp.id = req.id;
      resp.error = -ANSWER;
      if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) die("SECCOMP_IOCTL_NOTIF_SEND");
      continue;
    }
    if (p[1].revents) return;
  }
}

static void parse(const char* spec) {
  char abi[16];
  long first, last, arg0 = 0;
  const char* p = strchr(spec, ':');
  if (!p || (size_t)(p - spec) >= sizeof abi) goto bad;
  memcpy(abi, spec, (size_t)(p - spec));
  abi[p - spec] = 0;
  enum abi a;
  if (strcmp(abi, "x86_64") == 0) a = X86_64;
  else if (strcmp(abi, "x32") == 0) a = X32;
  else if (strcmp(abi, "i386") == 0) a = I386;
  else goto bad;
  char* end;
  first = strtol(p + 1, &end, 0);
  last = first;
  if (*end == '-') last = strtol(end + 1, &end, 0);
  if (*end == ':') arg0 = strtol(end + 1, &end, 0);
  if (*end || first < 0 || last < first || last >= X32_BIT) goto bad;
  if (a == I386 && !have_i386()) {
    fprintf(stderr, "seccomp-probe: i386: this kernel does not deliver int $0x80, the i386 system call entry "
                    "(it faults even unconfined: IA32 emulation off, or a VM such as a PVM guest without it)\n");
    exit(2);
  }
  for (long nr = first; nr <= last; nr++) {
    if (ncalls == MAX_CALLS) goto bad;
    calls[ncalls++] = (struct call){a, nr, arg0, 0};
  }
  return;
bad:
  fprintf(stderr, "seccomp-probe: bad spec '%s' (ABI:FIRST[-LAST][:ARG0], at most %d calls)\n", spec, MAX_CALLS);
  exit(1);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) parse(argv[i]);
  FILE* st = fopen("/proc/self/status", "r");
  char line[256];
  while (st && fgets(line, sizeof line, st))
    if (strncmp(line, "CapBnd:", 7) == 0) printf("capbnd %s", line + 8);
  if (st) fclose(st);
  /* A filter may be added without CAP_SYS_ADMIN once no_new_privs is set. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
  if (pipe(listener_pipe) != 0 || pipe(done_pipe) != 0) die("pipe");
  pthread_t t;
  if ((errno = pthread_create(&t, NULL, prober, NULL)) != 0) die("pthread_create");
  supervise();
  if ((errno = pthread_join(t, NULL)) != 0) die("pthread_join");
  for (int i = 0; i < ncalls; i++) {
    struct call* c = &calls[i];
    printf("%s %ld %#lx ", abi_name[c->abi], c->nr, c->arg0);
    if (c->abi == X86_64 && (c->nr == 335 || c->nr == 336)) printf("exempt\n");
    else if (c->ret == -ANSWER) printf("allow\n");
    else if (c->ret < 0 && c->ret >= -4095) printf("errno %ld\n", -c->ret);
    else printf("ran %ld\n", c->ret); /* cannot happen: the call was not notified */
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
