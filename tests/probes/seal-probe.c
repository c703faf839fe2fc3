// Run inside a container with CAP_SYS_PTRACE under --init: what is PID 1's
// executable (rt-exec) to a process in the container? Prints the seals of
// the file /proc/1/exe opens (a memfd's; "Invalid argument" for a file on
// a mount), then tries to reopen that handle for writing.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  int fd = open("/proc/1/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return printf("open /proc/1/exe: %s\n", strerror(errno)), 1;
  int s = fcntl(fd, F_GET_SEALS);
  if (s < 0)
    printf("seals: %s\n", strerror(errno));
  else
    printf("seals:%s%s%s%s\n", s & F_SEAL_SEAL ? " seal" : "", s & F_SEAL_SHRINK ? " shrink" : "",
           s & F_SEAL_GROW ? " grow" : "", s & F_SEAL_WRITE ? " write" : "");
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  int w = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
  printf("reopen for writing: %s\n", w >= 0 ? "WRITABLE" : strerror(errno));
  return 0;
}
