// Run inside a container: what can it do to the terminal it was started
// from? Prints its controlling terminal (tty_nr in /proc/self/stat, 0:
// none), whether /dev/tty opens, and for each of fds 0-2 that is a
// terminal whether TIOCSTI (push a byte into the terminal's input, as
// if typed) works. The byte pushed is a space.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void) {
  char buf[1024] = {0};
  FILE* f = fopen("/proc/self/stat", "r");
  if (!f || !fgets(buf, sizeof buf, f)) return perror("/proc/self/stat"), 2;
  fclose(f);
  // pid (comm) state ppid pgrp session tty_nr ...
  const char* p = strrchr(buf, ')');
  int ppid, pgrp, session, tty_nr;
  char state;
  if (!p || sscanf(p + 1, " %c %d %d %d %d", &state, &ppid, &pgrp, &session, &tty_nr) != 5) return 2;
  printf("tty_nr=%d\n", tty_nr);
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
  printf("/dev/tty: %s\n", fd >= 0 ? "opened" : strerror(errno));
  for (int i = 0; i < 3; ++i) {
    if (!isatty(i)) {
      printf("fd %d: not a terminal\n", i);
      continue;
    }
    char c = ' ';
    printf("TIOCSTI on fd %d: %s\n", i, ioctl(i, TIOCSTI, &c) == 0 ? "pushed" : strerror(errno));
  }
  return 0;
}
