/* The process the container runs: credentials, capabilities, scheduling,
 * hooks, the start gate and the final execve. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "exec.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#endif

static int write_str(const char *path, const char *s) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, s, strlen(s));
  int e = errno;
  close(fd);
  errno = e;
  return n == (ssize_t)strlen(s) ? 0 : -1;
}

int op_user(struct ctx *c, const struct op_user *o) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail(c, errno, "keep capabilities");
  if (o->set_groups && setgroups(o->gids.n, (const gid_t *)o->gids.v) < 0) return fail(c, errno, "setgroups");
  if (setresgid(o->gid, o->gid, o->gid) < 0) return fail(c, errno, "setgid %u", o->gid);
  if (setresuid(o->uid, o->uid, o->uid) < 0) return fail(c, errno, "setuid %u", o->uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return fail(c, errno, "keep capabilities");
  return 0;
}

/* runc's reOpenDevNull: stdio that is the host's /dev/null becomes the
 * container's own. The host's device node lies on a mount the container
 * cannot see: criu cannot dump it (checkpoint of a container started with
 * stdin </dev/null, as conmon starts them), and it names a host path. */
static void reopen_dev_null(void) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return;
  struct stat ns;
  if (fstat(null, &ns) == 0 && S_ISCHR(ns.st_mode) && major(ns.st_rdev) == 1 && minor(ns.st_rdev) == 3) {
    for (int fd = 0; fd < 3; fd++) {
      struct stat st;
      if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == ns.st_rdev && (st.st_dev != ns.st_dev || st.st_ino != ns.st_ino))
        dup3(null, fd, 0);
    }
  }
  close(null);
}

/* runc's fixStdioPermissions: the stdio handed in (a pty made by root, the
 * engine's fifos) becomes the user's, its group kept; /dev/null and what the
 * user owns stay. An owner or group outside our user namespace (EINVAL,
 * EPERM) or a read-only /dev (EROFS) leaves it as it is. */
static int op_stdio_owner(struct ctx *c, const struct op_stdio_owner *o) {
  reopen_dev_null();
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0) {
      if (errno == EBADF) continue;
      return fail(c, errno, "fstat stdio %d", fd);
    }
    if (st.st_uid == o->uid || (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)) continue;
    if (fchown(fd, o->uid, st.st_gid) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
      return fail(c, errno, "chown stdio %d to %u", fd, o->uid);
  }
  return 0;
}

/* The home of uid in the container's /etc/passwd, "/" when the file or the
 * entry is missing (runc's default user). Opened non-blocking and read only
 * when it is a regular file: a fifo there must not hang exec. */
static int op_home_env(struct ctx *c, const struct op_home_env *o) {
  const char *home = "/";
  char *line = NULL;
  size_t cap = 0;
  int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "r") : NULL;
  if (!f && fd >= 0) close(fd);
  while (f && getline(&line, &cap, f) >= 0) {
    /* name:password:uid:gid:gecos:home:shell */
    char *field[7] = {0};
    char *p = line;
    line[strcspn(line, "\r\n")] = 0;
    for (int i = 0; i < 7 && p; i++) {
      field[i] = p;
      p = strchr(p, ':');
      if (p) *p++ = 0;
    }
    char *end;
    if (!field[2] || !*field[2]) continue;
    unsigned long uid = strtoul(field[2], &end, 10);
    if (*end || uid != o->uid) continue;
    home = field[5] ? field[5] : "";
    break;
  }
  size_t len = strlen(home) + 6;
  c->home = malloc(len);
  if (!c->home) return fail(c, ENOMEM, "HOME");
  snprintf(c->home, len, "HOME=%s", home);
  free(line);
  if (f) fclose(f);
  return 0;
}

/* env with HOME from home_env: in the place of an empty HOME, else last */
static char **with_home(struct ctx *c, const struct plan_strs *env) {
  if (!c->home) return env->v;
  char **v = calloc(env->n + 2, sizeof *v);
  if (!v) return env->v;
  uint32_t n = 0, set = 0;
  for (uint32_t i = 0; i < env->n; i++) {
    int home = !strncmp(env->v[i], "HOME=", 5);
    v[n++] = home && !set ? c->home : env->v[i];
    set |= home;
  }
  if (!set) v[n] = c->home;
  return v;
}

static int last_cap(void) {
  static int last = -1;
  if (last >= 0) return last;
  last = CAP_LAST_CAP;
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char b[16] = {0};
    if (read(fd, b, sizeof b - 1) > 0) last = atoi(b);
    close(fd);
  }
  return last;
}

int op_caps_bounding(struct ctx *c, const struct op_caps_bounding *o) {
  for (int cap = 0; cap <= last_cap() && cap < 64; cap++) {
    if (o->mask & (1ull << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return fail(c, errno, "drop capability %d from the bounding set", cap);
  }
  return 0;
}

int op_caps(struct ctx *c, const struct op_caps *o) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {
      {(uint32_t)o->effective, (uint32_t)o->permitted, (uint32_t)o->inheritable},
      {(uint32_t)(o->effective >> 32), (uint32_t)(o->permitted >> 32), (uint32_t)(o->inheritable >> 32)},
  };
  if (syscall(SYS_capset, &h, d) < 0) return fail(c, errno, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return fail(c, errno, "clear ambient capabilities");
  for (int cap = 0; cap < 64; cap++) {
    if (!(o->ambient & (1ull << cap))) continue;
    /* a cap missing from permitted or inheritable cannot be ambient: runc warns and goes on */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) report_warning(c, "cannot raise ambient capability %d: %s", cap, strerror(errno));
  }
  return 0;
}

struct sched_attr_ {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};

int op_scheduler(struct ctx *c, const struct op_scheduler *o) {
  struct sched_attr_ a = {sizeof a, o->policy, o->flags, o->nice, o->priority, o->runtime, o->deadline, o->period};
  if (syscall(SYS_sched_setattr, 0, &a, 0) < 0) return fail(c, errno, "sched_setattr");
  return 0;
}

/* exec.LookPath's rules and words, so that engines map the error like runc's. */
int op_lookup_exec(struct ctx *c, const struct op_lookup_exec *o) {
  struct stat st;
  if (strchr(o->name, '/')) {
    if (stat(o->name, &st) < 0) return fail(c, errno, "exec: \"%s\": stat %s", o->name, o->name);
    if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) return fail(c, 0, "exec: \"%s\": permission denied", o->name);
    c->exec_path = (char *)o->name;
    return 0;
  }
  const char *p = o->path_env;
  size_t nlen = strlen(o->name);
  while (*o->name) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    char *cand = malloc(dlen + nlen + 3);
    if (!cand) return fail(c, ENOMEM, "lookup");
    if (dlen == 0) sprintf(cand, "./%s", o->name);
    else sprintf(cand, "%.*s/%s", (int)dlen, p, o->name);
    if (stat(cand, &st) == 0 && !S_ISDIR(st.st_mode) && (st.st_mode & 0111)) {
      c->exec_path = cand;
      return 0;
    }
    free(cand);
    if (!end) break;
    p = end + 1;
  }
  return fail(c, 0, "exec: \"%s\": executable file not found in $PATH", o->name);
}

/* The container shares the runtime's mount namespace: nothing is mounted
 * (it would land in the host's table and outlive the container), the root is
 * only changed for this process. */
static int op_chroot(struct ctx *c, const struct op_chroot *o) {
  if (chroot(o->path) < 0) return fail(c, errno, "chroot %s", o->path);
  if (chdir("/") < 0) return fail(c, errno, "chdir /");
  c->pivoted = 1;
  return 0;
}

int op_chdir(struct ctx *c, const struct op_chdir *o) {
  if (chdir(o->path) < 0) return fail(c, errno, "chdir to cwd (\"%s\") set in config.json", o->path);
  /* CVE-2024-21626: a leaked directory fd could put us outside the root */
  char buf[4096];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/')
    return fail(c, EPERM, "current working directory is outside of container mount namespace root");
  return 0;
}

/* The state as the hook sees it from inside: "pid" is ours in the
 * container's pid namespace (runc's init reports its own getpid()). */
static void write_state(int fd, const char *json, size_t len) {
  const char *p = strstr(json, "\"pid\":");
  if (p) {
    const char *num = p + 6, *end = num;
    while (*end >= '0' && *end <= '9') end++;
    char pid[16];
    int n = snprintf(pid, sizeof pid, "%d", getpid());
    if (write(fd, json, (size_t)(num - json)) < 0 || write(fd, pid, (size_t)n) < 0 ||
        write(fd, end, len - (size_t)(end - json)) < 0) { /* a hook may ignore stdin */ }
    return;
  }
  if (write(fd, json, len) < 0) { /* a hook may ignore stdin */ }
}

int op_hook(struct ctx *c, const struct op_hook *o) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) return fail(c, errno, "pipe for %s hook", o->kind);
  pid_t pid = fork();
  if (pid < 0) return fail(c, errno, "fork %s hook", o->kind);
  if (pid == 0) {
    dup2(in[0], 0);
    umask((mode_t)o->umask);
    if (o->dir[0] && chdir(o->dir) < 0) {
      dprintf(2, "chdir %s: %s\n", o->dir, strerror(errno));
      _exit(127);
    }
    char *dflt[2] = {(char *)o->path, NULL};
    execve(o->path, o->args.n ? o->args.v : dflt, o->process_env ? with_home(c, &o->env) : o->env.v);
    dprintf(2, "exec %s: %s\n", o->path, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  signal(SIGPIPE, SIG_IGN);
  if (c->state_json) write_state(in[1], c->state_json, c->state_len);
  close(in[1]);
  signal(SIGPIPE, SIG_DFL);
  int status;
  uint64_t waited_ms = 0, limit_ms = (uint64_t)o->timeout * 1000;
  for (;;) {
    pid_t r = waitpid(pid, &status, limit_ms ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return fail(c, errno, "wait for %s hook", o->kind);
    if (r == 0) {
      if (waited_ms >= limit_ms) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return fail(c, ETIMEDOUT, "error running hook (%s %s): timeout after %u seconds", o->kind, o->path, o->timeout);
      }
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, NULL);
      waited_ms += 5;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status)) return fail(c, 0, "error running hook (%s %s): exit status %d", o->kind, o->path, WEXITSTATUS(status));
  return fail(c, 0, "error running hook (%s %s): signal: %s", o->kind, o->path, strsignal(WTERMSIG(status)));
}

/* The exec fifo: we hold the read end; `start` writes one byte. Poll first:
 * a read on a fifo that never had a writer returns EOF at once. */
int op_wait_start(struct ctx *c) {
  if (c->fifo_fd < 0) return 0; /* exec: no gate */
  for (;;) {
    struct pollfd pfd = {c->fifo_fd, POLLIN, 0};
    int r = poll(&pfd, 1, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail(c, errno, "wait on the exec fifo");
    }
    char b;
    ssize_t n = read(c->fifo_fd, &b, 1);
    if (n == 1) break;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n == 0) {
      /* a writer came and went without a byte: keep waiting */
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    return fail(c, errno, "read the exec fifo");
  }
  /* The read end stays open (close-on-exec) until the execve: `start` writes
   * until EPIPE to learn that the payload runs before its poststart hooks. */
  return 0;
}

int op_seccomp(struct ctx *c, const struct op_seccomp *o) {
  if (o->program.len == 0 || o->program.len % sizeof(struct sock_filter)) return fail(c, EINVAL, "seccomp: bad program");
  struct sock_fprog prog = {(unsigned short)(o->program.len / sizeof(struct sock_filter)), (struct sock_filter *)o->program.p};
  if (!o->listener) {
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, o->flags, &prog) < 0) return fail(c, errno, "seccomp");
    return 0;
  }
  if (c->listener_fd < 0 || !c->seccomp_state) return fail(c, EINVAL, "seccomp listener: no socket or no state to send");
  int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, o->flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) return fail(c, errno, "seccomp with a notify listener");
  /* the container process state as data, the notify fd as SCM_RIGHTS (config-linux.md) */
  int r = send_fd(c->listener_fd, fd, c->seccomp_state);
  int e = errno;
  close(fd);
  close(c->listener_fd);
  c->listener_fd = -1;
  return r < 0 ? fail(c, e, "send the seccomp notify fd to the listener") : 0;
}

int op_exec(struct ctx *c, const struct op_exec *o) {
  /* Node ignores SIGPIPE and ignored dispositions survive execve */
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int fd = 0; fd < 3; fd++) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  unsigned first = 3 + o->preserve_fds;
  if (syscall(SYS_close_range, first, ~0u, 0) < 0) {
    for (int fd = (int)first; fd < 1024; fd++) close(fd);
  }
  for (unsigned fd = 3; fd < first; fd++) {
    int fl = fcntl((int)fd, F_GETFD);
    if (fl >= 0) fcntl((int)fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  const char *path = c->exec_path ? c->exec_path : o->args.v[0];
  execve(path, o->args.v, with_home(c, &o->env));
  c->sync_fd = -1; /* closed: report on stderr */
  return fail(c, errno, "exec %s", path);
}

/* GO carries the state JSON for the hooks [NUL, the container process state
 * for a seccomp listener] */
static int op_wait_go(struct ctx *c, const struct op_wait_go *o) {
  if (o->report && sync_send(c->sync_fd, MSG_PREPARED, NULL, 0) < 0) return fail(c, errno, "report prepared");
  uint16_t type;
  uint8_t *body;
  uint32_t len;
  if (sync_recv(c->sync_fd, &type, &body, &len, MAX_MSG_SIZE) < 0) {
    if (errno == EMSGSIZE) return fail(c, EMSGSIZE, "GO message of %u bytes is over the limit of %u", len, MAX_MSG_SIZE);
    _exit(1); /* runtime gone */
  }
  if (type != MSG_GO) return fail(c, EPROTO, "expected GO, got message %u", type);
  c->state_json = (char *)body;
  c->state_len = strnlen((char *)body, len);
  if (c->state_len + 1 < len) c->seccomp_state = (char *)body + c->state_len + 1; /* sync_recv NUL-terminates */
  return 0;
}

/* runc's apparmor.ApplyProfile: the profile takes hold at the next execve
 * (and in anything exec'd by a child forked from here). The kernel takes
 * the write from this thread only, hence thread-self. */
int op_apparmor(struct ctx *c, const struct op_apparmor *o) {
  int proc = procfs_handle();
  if (proc < 0) return fail(c, errno, "apparmor failed to apply profile: no procfs to write the profile through");
  const char *attr = "thread-self/attr/apparmor/exec";
  int fd = open_in_procfs(proc, attr, O_WRONLY);
  if (fd < 0 && errno == ENOENT) fd = open_in_procfs(proc, attr = "thread-self/attr/exec", O_WRONLY);
  if (fd < 0) return fail(c, errno, "apparmor failed to apply profile: open /proc/%s", attr);
  char buf[4200];
  int len = snprintf(buf, sizeof buf, "exec %s", o->profile);
  if (len < 0 || (size_t)len >= sizeof buf) {
    close(fd);
    return fail(c, ENAMETOOLONG, "apparmor failed to apply profile: profile name too long");
  }
  ssize_t n = write(fd, buf, (size_t)len);
  int e = errno;
  close(fd);
  if (n != len) return fail(c, n < 0 ? e : EIO, "apparmor failed to apply profile: write /proc/%s (profile %s)", attr, o->profile);
  return 0;
}

int run_child_op(struct ctx *c, const struct op *op) {
  const char *name = op_descs[op->code].name;
  switch (op->code) {
  case OP_BECOME_ROOT:
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) return fail(c, errno, "become root in the user namespace");
    return 0;
  case OP_UNSHARE:
    if (unshare((int)op->u.unshare.flags) < 0) return fail(c, errno, "unshare %#x", op->u.unshare.flags);
    return 0;
  case OP_SESSION_KEYRING:
    if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, op->u.session_keyring.name) < 0 && errno != ENOSYS)
      return fail(c, errno, "join session keyring");
    return 0;
  case OP_PROPAGATION: return op_propagation(c, &op->u.propagation);
  case OP_ROOTFS: return op_rootfs(c, &op->u.rootfs);
  case OP_MOUNT: return op_mount(c, &op->u.mount);
  case OP_CGROUP_V1_BINDS: return op_cgroup_v1_binds(c, &op->u.cgroup_v1_binds);
  case OP_MKNOD: return op_mknod(c, &op->u.mknod);
  case OP_SYMLINK: return op_symlink(c, &op->u.symlink);
  case OP_MKDIR: return op_mkdir(c, &op->u.mkdir);
  case OP_HOOK: return op_hook(c, &op->u.hook);
  case OP_PIVOT_ROOT: return op_pivot_root(c, &op->u.pivot_root);
  case OP_CHROOT: return op_chroot(c, &op->u.chroot);
  case OP_CONSOLE: return op_console(c, &op->u.console);
  case OP_REMOUNT_RO: return op_remount_ro(c, &op->u.remount_ro);
  case OP_MASK_PATH: return op_mask_path(c, &op->u.mask_path);
  case OP_READONLY_PATH: return op_readonly_path(c, &op->u.readonly_path);
  case OP_MOUNT_ATTR: return op_mount_attr(c, &op->u.mount_attr);
  case OP_MOUNT_IDMAP: return op_mount_idmap(c, &op->u.mount_idmap, c->ns_fds[c->err_op]);
  case OP_HOSTNAME:
    if (sethostname(op->u.hostname.name, strlen(op->u.hostname.name)) < 0) return fail(c, errno, "sethostname");
    return 0;
  case OP_DOMAINNAME:
    if (setdomainname(op->u.domainname.name, strlen(op->u.domainname.name)) < 0) return fail(c, errno, "setdomainname");
    return 0;
  case OP_SYSCTL: return op_sysctl(c, &op->u.sysctl);
  case OP_OOM_SCORE_ADJ: {
    char v[16];
    snprintf(v, sizeof v, "%d", op->u.oom_score_adj.value);
    if (write_str("/proc/self/oom_score_adj", v) < 0) return fail(c, errno, "write oom_score_adj %s", v);
    return 0;
  }
  case OP_PERSONALITY:
    if (personality(op->u.personality.persona) < 0) return fail(c, errno, "personality");
    return 0;
  case OP_IOPRIO:
    if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, op->u.ioprio.value) < 0) return fail(c, errno, "ioprio_set");
    return 0;
  case OP_SCHEDULER: return op_scheduler(c, &op->u.scheduler);
  case OP_CPU_AFFINITY:
    if (sched_setaffinity(0, op->u.cpu_affinity.mask.len, (const cpu_set_t *)op->u.cpu_affinity.mask.p) < 0)
      return fail(c, errno, "sched_setaffinity");
    return 0;
  case OP_UMASK: umask(op->u.umask.mask); return 0;
  case OP_CAPS_BOUNDING: return op_caps_bounding(c, &op->u.caps_bounding);
  case OP_USER:
    if (op_user(c, &op->u.user) < 0) return -1;
    /* a change of uid makes the kernel drop dumpable: keep what child_main chose */
    if (c->keep_dumpable) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    return 0;
  case OP_CAPS: return op_caps(c, &op->u.caps);
  case OP_NO_NEW_PRIVS:
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail(c, errno, "no_new_privs");
    return 0;
  case OP_SECCOMP: return op_seccomp(c, &op->u.seccomp);
  case OP_CHDIR: return op_chdir(c, &op->u.chdir);
  case OP_LOOKUP_EXEC: return op_lookup_exec(c, &op->u.lookup_exec);
  case OP_READY:
    if (sync_send(c->sync_fd, MSG_READY, NULL, 0) < 0) return fail(c, errno, "report ready");
    close(c->sync_fd);
    c->sync_fd = -1;
    return 0;
  case OP_WAIT_START: return op_wait_start(c);
  case OP_EXEC: return op_exec(c, &op->u.exec);
  case OP_WAIT_GO: return op_wait_go(c, &op->u.wait_go);
  case OP_HOME_ENV: return op_home_env(c, &op->u.home_env);
  case OP_STDIO_OWNER: return op_stdio_owner(c, &op->u.stdio_owner);
  case OP_APPARMOR: return op_apparmor(c, &op->u.apparmor);
  case OP_JOIN_NS_CHILD: return join_opened_ns(c, op->u.join_ns_child.nstype, op->u.join_ns_child.path);
  }
  return fail(c, EINVAL, "op %s cannot run in the child", name);
}
