/* The cost of each way rt could exec one of its binaries inside a
 * container so that the container cannot write the file (rt(7), "Host
 * binaries"): exec it as is, from a read-only clone of its mount, or from
 * a sealed memfd copy. Run by bench/exe-protect.sh under hyperfine.
 *
 *   exe-protect plain|clone|memfd PROGRAM [ARGS...]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;

static int fail(const char* what) {
  perror(what);
  return 125;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: exe-protect plain|clone|memfd PROGRAM [ARGS...]\n");
    return 125;
  }
  const char* mode = argv[1];
  int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(argv[2]);
  int run = fd;
  if (strcmp(mode, "clone") == 0) {
    run = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (run < 0) return fail("open_tree");
    struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
    if (syscall(SYS_mount_setattr, run, "", AT_EMPTY_PATH, &a, sizeof a) != 0) return fail("mount_setattr");
  } else if (strcmp(mode, "memfd") == 0) {
    run = memfd_create("exe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (run < 0) return fail("memfd_create");
    struct stat st;
    if (fstat(fd, &st) != 0) return fail("fstat");
    off_t off = 0;
    while (off < st.st_size)
      if (sendfile(run, fd, &off, (size_t)(st.st_size - off)) <= 0) return fail("sendfile");
    if (fcntl(run, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) return fail("seal");
  } else if (strcmp(mode, "plain") != 0) {
    fprintf(stderr, "exe-protect: unknown mode %s\n", mode);
    return 125;
  }
  syscall(SYS_execveat, run, "", argv + 2, environ, AT_EMPTY_PATH);
  return fail("execveat");
}
