/*
 * seal.c: the last walls of a process-target unikernel, raised inside its process before Node's
 * main() runs. Loaded with LD_PRELOAD into the node binary that bubblewrap starts; its
 * constructor
 *
 *   0. closes every descriptor but stdin, stdout, stderr and the channel to the tender (fd 3):
 *      whatever the tender inherited without close-on-exec (a writable file its parent left open)
 *      passes through Node's spawn and bubblewrap, and must not reach the guest's process;
 *   1. sets the resource limits given in TSUKI_SEAL_LIMITS ("data,nofile,nproc" in bytes/counts;
 *      core dumps are always off), then makes the process non-dumpable;
 *   2. loads a seccomp filter built with libseccomp that denies what a unikernel process never
 *      needs: every exec (the filter is loaded after the exec that started Node, so none is left
 *      to allow), socket creation, ptrace and other processes' memory, mounts and namespaces,
 *      kernel modules, keyrings, BPF, perf, io_uring, clock and host settings;
 *   3. removes its own variables (and LD_PRELOAD) from the environment.
 *
 * If any step fails the process exits with status 121 before any guest code exists, so a wall
 * the tender promised is never silently missing. With TSUKI_SEAL_EXPORT=FILE it only writes the
 * filter as readable text (seccomp_export_pfc) for tests and `tsuki doctor`, and exits 0.
 *
 * Built by the tender with the host's C compiler against libseccomp (src/host/sandbox/seal.ts).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEAL_FAILED 121
/* Descriptors below this stay open: 0-2 and the channel on fd 3 (process-child.ts, CHANNEL). */
#define KEPT_FDS 4

static void fail(const char *what, int err) {
  char line[256];
  int n = snprintf(line, sizeof line, "tsuki seal: %s failed: %s\n", what, strerror(err < 0 ? -err : err));
  if (n > 0) (void)!write(2, line, (size_t)n);
  _exit(SEAL_FAILED);
}

static void limit(int resource, rlim_t value, const char *what) {
  struct rlimit r = { value, value };
  if (setrlimit(resource, &r) != 0) fail(what, errno);
}

/* Closes every descriptor from KEPT_FDS up; kernels before 5.9 lack close_range, so close them one by one. */
static void close_inherited(void) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, KEPT_FDS, ~0U, 0) == 0) return;
  if (errno != ENOSYS) fail("close_range", errno);
#endif
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) fail("getrlimit RLIMIT_NOFILE", errno);
  if (r.rlim_max == RLIM_INFINITY || r.rlim_max > (1u << 24)) fail("closing inherited descriptors (no close_range, no bound)", ENOSYS);
  for (rlim_t fd = KEPT_FDS; fd < r.rlim_max; fd++) close((int)fd);
}

/* Denied with EPERM: the process learns "no" and goes on; nothing here is needed by Node. */
static const char *const DENIED[] = {
  "execve", "execveat",
  "socket", "socketpair",
  "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "pidfd_open",
  "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
  "fsmount", "fspick", "mount_setattr", "unshare", "setns",
  "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
  "add_key", "request_key", "keyctl",
  "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "open_by_handle_at", "name_to_handle_at",
  "reboot", "swapon", "swapoff", "syslog", "acct", "quotactl", "vhangup", "iopl", "ioperm",
  "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
  "lookup_dcookie", "memfd_secret",
};

/* Answered ENOSYS, so that libc and libuv fall back to the calls above the filter allows. */
static const char *const ABSENT[] = { "io_uring_setup", "io_uring_enter", "io_uring_register", "clone3" };

static scmp_filter_ctx build(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL) fail("seccomp_init", ENOMEM);
  /* Syscalls of another architecture (i386 through int 0x80, x32) end the process. */
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc != 0) fail("seccomp_attr_set", rc);
  for (size_t i = 0; i < sizeof DENIED / sizeof *DENIED; i++) {
    int nr = seccomp_syscall_resolve_name(DENIED[i]);
    if (nr == __NR_SCMP_ERROR) continue; /* not on this architecture */
    if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) != 0) fail(DENIED[i], rc);
  }
  for (size_t i = 0; i < sizeof ABSENT / sizeof *ABSENT; i++) {
    int nr = seccomp_syscall_resolve_name(ABSENT[i]);
    if (nr == __NR_SCMP_ERROR) continue;
    if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) != 0) fail(ABSENT[i], rc);
  }
  /* clone: threads yes, new namespaces no. */
  static const unsigned long NEW_NS[] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP };
  for (size_t i = 0; i < sizeof NEW_NS / sizeof *NEW_NS; i++) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, NEW_NS[i], NEW_NS[i]));
    if (rc != 0) fail("clone rule", rc);
  }
  /* No typing into the terminal of whoever started the tender. */
  rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, 0x5412 /* TIOCSTI */));
  if (rc != 0) fail("ioctl rule", rc);
  return ctx;
}

__attribute__((constructor)) static void seal(void) {
  const char *export_to = getenv("TSUKI_SEAL_EXPORT");
  if (export_to != NULL) {
    scmp_filter_ctx ctx = build();
    int fd = open(export_to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("open export file", errno);
    int rc = seccomp_export_pfc(ctx, fd);
    if (rc != 0) fail("seccomp_export_pfc", rc);
    close(fd);
    _exit(0);
  }
  close_inherited();
  const char *limits = getenv("TSUKI_SEAL_LIMITS");
  if (limits == NULL) fail("reading TSUKI_SEAL_LIMITS", EINVAL);
  unsigned long long data = 0, nofile = 0, nproc = 0;
  if (sscanf(limits, "%llu,%llu,%llu", &data, &nofile, &nproc) != 3 || data == 0 || nofile == 0 || nproc == 0) fail("parsing TSUKI_SEAL_LIMITS", EINVAL);
  limit(RLIMIT_CORE, 0, "RLIMIT_CORE");
  limit(RLIMIT_DATA, (rlim_t)data, "RLIMIT_DATA");
  limit(RLIMIT_NOFILE, (rlim_t)nofile, "RLIMIT_NOFILE");
  limit(RLIMIT_NPROC, (rlim_t)nproc, "RLIMIT_NPROC");
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("PR_SET_DUMPABLE", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS", errno);
  scmp_filter_ctx ctx = build();
  int rc = seccomp_load(ctx);
  if (rc != 0) fail("seccomp_load", rc);
  seccomp_release(ctx);
  unsetenv("TSUKI_SEAL_LIMITS");
  unsetenv("LD_PRELOAD");
}
