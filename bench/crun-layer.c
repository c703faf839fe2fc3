/* A writable layer on disk for an OCI runtime, made as a caller such as
 * podman makes one: for each run a new upper and work directory under
 * STORE, an overlay of LOWER with them (volatile, as rt-run --rm mounts
 * its own) on ROOT, the bundle's root.path; then PROGRAM (the runtime) is
 * run and waited for, the overlay unmounted and both directories removed.
 * So bench/startup.sh can time crun on the same work as rt-run: the same
 * namespaces, cgroup and memory limit, and a writable layer made and
 * removed around each container.
 *
 *   crun-layer STORE LOWER ROOT PROGRAM [ARGS...]
 *
 * Exits with PROGRAM's status (128+N for signal N), 125 for its own
 * failure. Linked static by startup.sh, so that its own start costs what
 * a small static program's does.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char* what, const char* path) {
  fprintf(stderr, "crun-layer: %s %s: ", what, path);
  perror(NULL);
  return 125;
}

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: crun-layer STORE LOWER ROOT PROGRAM [ARGS...]\n");
    return 125;
  }
  const char *store = argv[1], *lower = argv[2], *root = argv[3];
  char upper[4096], work[4096], opts[12288];
  snprintf(upper, sizeof upper, "%s/upper.%d", store, (int)getpid());
  snprintf(work, sizeof work, "%s/work.%d", store, (int)getpid());
  if (mkdir(upper, 0755) != 0) return fail("cannot create", upper);
  if (mkdir(work, 0700) != 0) return fail("cannot create", work);
  snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s,volatile", lower, upper, work);
  if (mount("overlay", root, "overlay", 0, opts) != 0) {
    int rc = fail("cannot mount an overlay on", root);
    nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    rmdir(upper);
    return rc;
  }

  int status = 0, rc = 125;
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[4], argv + 4);
    _exit(fail("cannot execute", argv[4]) + 2);
  }
  if (pid > 0 && waitpid(pid, &status, 0) == pid)
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  if (umount2(root, 0) != 0) return fail("cannot unmount", root);
  if (nftw(upper, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) return fail("cannot remove", upper);
  if (nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) return fail("cannot remove", work);
  return rc;
}
