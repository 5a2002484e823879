/* tsrun-exec entry. Reads top to bottom in the order a container is born:
 * seal ourselves into a memfd, read the plan, run stage-0 ops in the
 * runtime's namespaces, clone the child, act on it from outside (id maps,
 * rlimits, cgroups), report its pid and release the child, which runs its
 * ops up to execve, waiting for the runtime's GO where the plan says. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exec.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* CVE-2019-5736: run from a sealed, anonymous copy so the container can never
 * write to the host binary through /proc/self/exe. */
static void reexec_sealed(char **argv) {
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    dprintf(2, "tsrun-exec: open /proc/self/exe: %s\n", strerror(errno));
    exit(1);
  }
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS) {
    close(self);
    return;
  }
  int mfd = memfd_create("tsrun-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("tsrun-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  if (mfd < 0 || fstat(self, &st) < 0) goto bad;
  for (off_t off = 0; off < st.st_size;) {
    ssize_t n = sendfile(mfd, self, NULL, (size_t)(st.st_size - off));
    if (n <= 0) goto bad;
    off += n;
  }
  /* F_SEAL_EXEC in the same call as F_SEAL_SEAL: after F_SEAL_SEAL no seal
   * can be added. A kernel that does not know it (before 6.3) says EINVAL. */
  if (fcntl(mfd, F_ADD_SEALS, SEALS | F_SEAL_EXEC) < 0 && (errno != EINVAL || fcntl(mfd, F_ADD_SEALS, SEALS) < 0)) goto bad;
  close(self);
  fexecve(mfd, argv, environ);
bad:
  dprintf(2, "tsrun-exec: cannot seal a copy of itself: %s\n", strerror(errno));
  exit(1);
}

/* Write all of data to an existing file (proc and cgroup files): one write(2). */
int write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = strlen(data);
  ssize_t n = write(fd, data, len);
  int e = errno;
  close(fd);
  if (n != (ssize_t)len) {
    errno = n < 0 ? e : EIO;
    return -1;
  }
  return 0;
}

/* The cgroup.procs file of a cgroup this process is in (a v1 pids or
 * freezer hierarchy, else the v2 one), checked to list us: another cgroup
 * namespace or mount view could name a different cgroup. */
static int own_cgroup_procs(char *out, size_t len) {
  char buf[4096], mine[16];
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *v2 = NULL, *pick = NULL;
  for (char *line = strtok(buf, "\n"); line && !pick; line = strtok(NULL, "\n")) {
    char *ctrl = strchr(line, ':');
    char *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
    if (!path) continue;
    if (!strncmp(ctrl, ":pids:/", 7) || !strncmp(ctrl, ":freezer:/", 10)) pick = ctrl + 1;
    else if (!strncmp(line, "0::/", 4)) v2 = path + 1;
  }
  if (pick) {
    char *colon = strchr(pick, ':');
    *colon = 0;
    snprintf(out, len, "/sys/fs/cgroup/%s%s/cgroup.procs", pick, colon + 1);
  } else if (v2) {
    snprintf(out, len, "/sys/fs/cgroup%s/cgroup.procs", v2);
  } else {
    return -1;
  }
  fd = open(out, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t cap = 1 << 16, have = 1;
  char *list = malloc(cap);
  if (!list) {
    close(fd);
    return -1;
  }
  list[0] = '\n'; /* so every pid is "\n<pid>\n" */
  while ((n = read(fd, list + have, cap - have - 1)) > 0) {
    have += (size_t)n;
    if (have + 1 < cap) continue;
    char *more = realloc(list, cap *= 2);
    if (!more) break; /* what was read so far is still searched */
    list = more;
  }
  close(fd);
  list[have] = 0;
  snprintf(mine, sizeof mine, "\n%d\n", getpid());
  int found = strstr(list, mine) != NULL;
  free(list);
  return found ? 0 : -1;
}

/* Started by bin/tsrun before Node boots, we wait ~20 ms for the plan. The
 * first write to any cgroup.procs waits out an RCU grace period (8-15 ms
 * here); writes within ~15 ms of the last one are ~0.1 ms. So while we wait,
 * move ourselves into the cgroup we are already in (a no-op) every 4 ms, and
 * the container's cgroup join after the plan comes is fast. Root only; any
 * failure only loses the head start. */
static void wait_plan_warm(int sync_fd) {
  char procs[PATH_MAX], pid[16];
  if (geteuid() != 0 || own_cgroup_procs(procs, sizeof procs) < 0) return;
  int fd = open(procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  int n = snprintf(pid, sizeof pid, "%d", getpid());
  struct pollfd p = {.fd = sync_fd, .events = POLLIN};
  for (int i = 0; i < 50; i++) { /* 200 ms at most: Node is slow to start, not gone */
    if (poll(&p, 1, i ? 4 : 0) != 0) break;
    if (write(fd, pid, (size_t)n) != n) break;
  }
  close(fd);
}

/* The sync socket goes right after the preserved fds and nothing else stays
 * open above them: when bin/tsrun forks us ahead of Node we inherit whatever
 * the caller gave it, which Node's spawn would not have passed on. A hole in
 * the preserved range is refused (runc refuses it too): our own fds would
 * fill it and reach the container. */
static int tidy_fds(struct ctx *c, const struct plan *p) {
  unsigned keep = 0;
  for (uint32_t k = 0; k < p->nops; k++)
    if (p->ops[k].code == OP_EXEC) keep = p->ops[k].u.exec.preserve_fds;
  int want = 3 + (int)keep;
  c->err_op = -1; /* a flag's fault, not config.json's */
  for (int fd = 3; fd < want; fd++)
    if (fd == c->sync_fd || fcntl(fd, F_GETFD) < 0)
      return fail(c, EBADF, "fd %d is not open: the container was to get fds 3..%u (LISTEN_FDS + --preserve-fds)", fd, 2 + keep);
  if (c->sync_fd != want) {
    if (dup3(c->sync_fd, want, O_CLOEXEC) < 0) return fail(c, errno, "moving the sync socket");
    close(c->sync_fd);
    c->sync_fd = want;
  }
  if (syscall(SYS_close_range, (unsigned)want + 1, ~0u, 0) < 0)
    for (int fd = want + 1; fd < 1024; fd++) close(fd);
  return 0;
}

static int unix_connect(struct ctx *c, const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) return fail(c, ENAMETOOLONG, "socket path %s", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(c, errno, "socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return fail(c, e, "connect %s", path);
  }
  return fd;
}

enum { OPEN_NS = 1, OPEN_CGROUP_PROCS = 2 };

/* Opened while paths name what the host sees (before any setns): the
 * namespaces to join (their /proc/<pid>/ns paths go with the mount
 * namespace) and the cgroup.procs files (a mount namespace joined by path
 * may show another cgroup tree, or none). A plan with wait_cgroup joins no
 * mount namespace: its cgroup.procs files are opened there, once they exist. */
static int open_host_files(struct ctx *c, int which) {
  for (uint32_t k = 0; k < c->plan->nops; k++) {
    const struct op *o = &c->plan->ops[k];
    const char *path = (which & OPEN_NS) && o->code == OP_JOIN_NS                 ? o->u.join_ns.path
                       : (which & OPEN_NS) && o->code == OP_JOIN_NS_CHILD         ? o->u.join_ns_child.path
                       : (which & OPEN_CGROUP_PROCS) && o->code == OP_CGROUP_JOIN ? o->u.cgroup_join.path
                       : (which & OPEN_CGROUP_PROCS) && o->code == OP_CGROUP_CLONE ? o->u.cgroup_clone.path
                                                                                    : NULL;
    if (!path) continue;
    int flags = o->code == OP_CGROUP_JOIN ? O_WRONLY : o->code == OP_CGROUP_CLONE ? O_RDONLY | O_DIRECTORY : O_RDONLY;
    c->ns_fds[k] = open(path, flags | O_CLOEXEC);
    if (c->ns_fds[k] < 0) {
      c->err_op = (int)k;
      return fail(c, errno, "open %s", path);
    }
  }
  return 0;
}

/* The current op's namespace, opened up front (open_host_files): after
 * joining a mount namespace the host's /proc/<pid>/ns paths are gone. */
int join_opened_ns(struct ctx *c, uint32_t nstype, const char *path) {
  int fd = c->ns_fds[c->err_op];
  if (fd < 0) return fail(c, EBADF, "namespace %s not opened", path);
  c->ns_fds[c->err_op] = -1;
  int r = setns(fd, (int)nstype);
  int e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "setns %s", path) : 0;
}

int run_pre_op(struct ctx *c, const struct op *op) {
  switch (op->code) {
  case OP_EXEC_FIFO: {
    const char *p = op->u.exec_fifo.path;
    if (mkfifo(p, 0622) < 0) return fail(c, errno, "mkfifo %s", p);
    chmod(p, 0622); /* umask */
    /* non-blocking open of a read end never waits for a writer */
    c->fifo_fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (c->fifo_fd < 0) return fail(c, errno, "open %s", p);
    return 0;
  }
  case OP_CONSOLE_SOCKET:
    c->console_fd = unix_connect(c, op->u.console_socket.path);
    return c->console_fd < 0 ? -1 : 0;
  case OP_SECCOMP_LISTENER:
    c->listener_fd = unix_connect(c, op->u.seccomp_listener.path);
    return c->listener_fd < 0 ? -1 : 0;
  case OP_PIDFD_SOCKET:
    c->pidfd_sock = unix_connect(c, op->u.pidfd_socket.path);
    return c->pidfd_sock < 0 ? -1 : 0;
  case OP_JOIN_NS: return join_opened_ns(c, op->u.join_ns.nstype, op->u.join_ns.path);
  case OP_CGROUP_CLONE:
    /* opened up front with the host files; the clone below uses it */
    c->clone_cgroup = c->ns_fds[c->err_op];
    c->ns_fds[c->err_op] = -1;
    return c->clone_cgroup < 0 ? fail(c, EBADF, "cgroup %s not opened", op->u.cgroup_clone.path) : 0;
  case OP_TIME_OFFSETS:
    /* the caller stays outside; its children are born inside */
    if (unshare(CLONE_NEWTIME) < 0) return fail(c, errno, "unshare time namespace");
    if (write_file("/proc/self/timens_offsets", op->u.time_offsets.offsets) < 0)
      return fail(c, errno, "write timens_offsets");
    return 0;
  }
  return fail(c, EINVAL, "op %s cannot run before the clone", op_descs[op->code].name);
}

/* newuidmap/newgidmap (setuid root, shadow's uidmap) write the maps an
 * unprivileged caller may not: the ranges /etc/subuid and /etc/subgid give
 * it. Which helper and which ranges is the runtime's choice; we run it on
 * our child and, if it refuses, return what it said. */
static int op_id_map_helper(struct ctx *c, const struct op_id_map_helper *o) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return fail(c, errno, "pipe for %s", o->path);
  char pid[16];
  snprintf(pid, sizeof pid, "%d", c->child);
  char **argv = calloc(o->args.n + 3, sizeof *argv);
  if (!argv) return fail(c, ENOMEM, "%s", o->path);
  argv[0] = (char *)o->path;
  argv[1] = pid;
  for (uint32_t k = 0; k < o->args.n; k++) argv[k + 2] = o->args.v[k];
  pid_t h = fork();
  if (h == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    execv(o->path, argv);
    dprintf(2, "exec: %s", strerror(errno));
    _exit(127);
  }
  int e = errno;
  free(argv);
  close(out[1]);
  if (h < 0) {
    close(out[0]);
    return fail(c, e, "fork for %s", o->path);
  }
  char said[512];
  size_t have = 0;
  ssize_t n;
  while ((n = read(out[0], said + have, sizeof said - 1 - have)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    have += (size_t)n;
    if (have == sizeof said - 1) {
      char drain[256]; /* keep the first words; let it finish */
      while (read(out[0], drain, sizeof drain) > 0) {
      }
      break;
    }
  }
  close(out[0]);
  said[have] = 0;
  while (have > 0 && (said[have - 1] == '\n' || said[have - 1] == ' ')) said[--have] = 0;
  for (char *q = said; *q; q++)
    if (*q == '\n') *q = ' ';
  int status;
  while (waitpid(h, &status, 0) < 0) {
    if (errno != EINTR) return fail(c, errno, "waiting for %s", o->path);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFSIGNALED(status)) return fail(c, 0, "%s %s: killed by signal %d%s%s", o->path, pid, WTERMSIG(status), have ? ": " : "", said);
  return fail(c, 0, "%s %s: exit status %d%s%s", o->path, pid, WEXITSTATUS(status), have ? ": " : "", have ? said : "");
}

int run_parent_op(struct ctx *c, const struct op *op) {
  char path[64];
  switch (op->code) {
  case OP_ID_MAP: {
    const struct op_id_map *o = &op->u.id_map;
    if (*o->setgroups) {
      snprintf(path, sizeof path, "/proc/%d/setgroups", c->child);
      if (write_file(path, o->setgroups) < 0) return fail(c, errno, "write %s", path);
    }
    if (*o->uid_map) {
      snprintf(path, sizeof path, "/proc/%d/uid_map", c->child);
      if (write_file(path, o->uid_map) < 0) return fail(c, errno, "write uid_map");
    }
    if (*o->gid_map) {
      snprintf(path, sizeof path, "/proc/%d/gid_map", c->child);
      if (write_file(path, o->gid_map) < 0) return fail(c, errno, "write gid_map");
    }
    return 0;
  }
  case OP_PRLIMIT: {
    struct rlimit rl = {op->u.prlimit.soft, op->u.prlimit.hard};
    if (prlimit(c->child, (int)op->u.prlimit.resource, &rl, NULL) < 0) return fail(c, errno, "prlimit");
    return 0;
  }
  case OP_WAIT_CGROUP: {
    uint16_t type;
    uint8_t *body;
    uint32_t len;
    if (op->u.wait_cgroup.announce) {
      uint32_t child = (uint32_t)c->child;
      if (sync_send(c->sync_fd, MSG_CLONED, &child, sizeof child) < 0) return fail(c, errno, "announcing the child");
    }
    if (sync_recv(c->sync_fd, &type, &body, &len, MAX_MSG_SIZE) < 0) return fail(c, errno, "waiting for the cgroup");
    free(body);
    if (type != MSG_CGROUP) return fail(c, EPROTO, "expected CGROUP, got message %u", type);
    return open_host_files(c, OPEN_CGROUP_PROCS);
  }
  case OP_MOUNT_SOURCES:
    return op_mount_sources(c);
  case OP_ID_MAP_HELPER:
    return op_id_map_helper(c, &op->u.id_map_helper);
  case OP_CGROUP_JOIN: {
    char pid[16];
    int n = snprintf(pid, sizeof pid, "%d", c->child);
    if (write(c->ns_fds[c->err_op], pid, (size_t)n) != n) return fail(c, errno, "write %s", op->u.cgroup_join.path);
    return 0;
  }
  }
  return fail(c, EINVAL, "op %s cannot run in stage 0", op_descs[op->code].name);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
struct clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* The child is born in its cgroup, so the cgroup's limits hold from its
 * first instant: at pids.max the kernel refuses it (EAGAIN), where a move
 * after the fact would take the cgroup over its limit. A kernel without
 * clone3 or CLONE_INTO_CGROUP (before 5.7) gets the move. */
static pid_t clone_into_cgroup(struct ctx *c, uint64_t flags) {
  struct clone3_args a = {.flags = (flags & ~0xffULL) | CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)c->clone_cgroup};
  pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof a);
  if (pid >= 0 || (errno != ENOSYS && errno != E2BIG)) {
    if (pid < 0) fail(c, errno, "clone into the container's cgroup");
    return pid;
  }
  pid = (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid <= 0) return pid;
  char num[16];
  int n = snprintf(num, sizeof num, "%d", pid);
  int fd = openat(c->clone_cgroup, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, num, (size_t)n) != n) {
    fail(c, errno, "join the container's cgroup");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return pid;
}

/* The child: wait until stage 0 has placed it (id maps, rlimits, cgroups)
 * and reported its pid, then every child op in order; the wait_go op, where
 * the plan puts it, waits for the runtime. */
static void child_main(struct ctx *c, struct plan *p, uint32_t from, int release, int owner_maps) {
  c->stage = STAGE_CHILD;
  c->child = getpid();
  umask(0);
  setsid(); /* a session of its own: the pty, if any, becomes its controlling terminal */
  char b;
  ssize_t n;
  while ((n = read(release, &b, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) _exit(1); /* stage 0 failed: it reports why */
  close(release);
  /* Placed: back to no ptrace, except for an unprivileged caller. Its
   * `exec` opens our /proc/<pid>/ns files before `start` (an engine's
   * healthcheck or `podman exec` into a created container), which a
   * non-dumpable task keeps for root: our mm belongs to the host's user
   * namespace until the execve. runc's init stays dumpable there too. What
   * could ptrace us is the caller itself and the container's own root. */
  c->keep_dumpable = owner_maps;
  if (!owner_maps) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* the AppArmor attribute is written late, after the credentials drop:
   * the procfs handle it goes through is made now, while we may still make
   * one, and before the container's own code could have touched /proc */
  for (uint32_t i = from; i < p->nops; i++)
    if (p->ops[i].code == OP_APPARMOR) {
      procfs_handle();
      break;
    }
  for (uint32_t i = from; i < p->nops; i++) {
    if (p->ops[i].stage != STAGE_CHILD) continue;
    c->err_op = (int)i;
    if (run_child_op(c, &p->ops[i]) < 0) {
      report_error(c);
      _exit(1);
    }
  }
  c->err_op = -1;
  fail(c, EINVAL, "plan has no exec op");
  report_error(c);
  _exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    dprintf(2, "tsrun-exec: started by tsrun only\n");
    return 1;
  }
  reexec_sealed(argv);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* we hold host fds: no ptrace from the container */

  struct ctx c = {.stage = STAGE_PRE, .sync_fd = atoi(argv[1]), .fifo_fd = -1, .console_fd = -1,
                  .pidfd_sock = -1, .listener_fd = -1, .sources_fd = -1, .root_fd = -1, .err_op = -1,
                  .clone_cgroup = -1};
  int fl = fcntl(c.sync_fd, F_GETFL);
  if (fl < 0) return 1;
  fcntl(c.sync_fd, F_SETFL, fl & ~O_NONBLOCK);
  fcntl(c.sync_fd, F_SETFD, FD_CLOEXEC);
  if (argc > 2 && !strcmp(argv[2], "warm")) wait_plan_warm(c.sync_fd);

  uint16_t type;
  uint8_t *buf;
  uint32_t len;
  int got = sync_recv(c.sync_fd, &type, &buf, &len, MAX_PLAN_SIZE);
  if (got < 0 || type != MSG_PLAN) {
    /* closed with no plan: the runtime refused the command before it had
     * one (bin/tsrun starts us ahead of it) and said why itself */
    if (got < 0 && errno == EPIPE) return 1;
    if (errno == EMSGSIZE) fail(&c, EMSGSIZE, "plan of %u bytes is over the limit of %u", len, MAX_PLAN_SIZE);
    else fail(&c, errno, "reading the plan");
    report_error(&c);
    return 1;
  }
  struct plan p;
  char err[256];
  if (plan_decode(buf, len, &p, err, sizeof err) < 0) {
    fail(&c, 0, "%s", err);
    report_error(&c);
    return 1;
  }

  if (tidy_fds(&c, &p) < 0) {
    report_error(&c);
    return 1;
  }

  c.plan = &p;
  c.ns_fds = calloc(p.nops ? p.nops : 1, sizeof(int));
  if (!c.ns_fds) return 1;
  int late_cgroup = 0;
  for (uint32_t k = 0; k < p.nops; k++) {
    c.ns_fds[k] = -1;
    if (p.ops[k].code == OP_WAIT_CGROUP) late_cgroup = 1;
  }
  if (open_host_files(&c, OPEN_NS | (late_cgroup ? 0 : OPEN_CGROUP_PROCS)) < 0) {
    report_error(&c);
    return 1;
  }

  /* idmapped mounts are made with the host's credentials, before any setns */
  for (uint32_t k = 0; k < p.nops; k++) {
    if (p.ops[k].code != OP_MOUNT_IDMAP) continue;
    c.err_op = (int)k;
    if ((c.ns_fds[k] = idmap_prepare(&c, &p.ops[k].u.mount_idmap)) < 0) {
      report_error(&c);
      return 1;
    }
  }

  uint32_t i = 0;
  uint64_t clone_flags = 0;
  int have_clone = 0;
  for (; i < p.nops; i++) {
    c.err_op = (int)i;
    if (p.ops[i].code == OP_CLONE) {
      clone_flags = p.ops[i].u.clone.flags;
      have_clone = 1;
      i++;
      break;
    }
    if (run_pre_op(&c, &p.ops[i]) < 0) {
      report_error(&c);
      return 1;
    }
  }
  if (!have_clone) {
    c.err_op = -1;
    fail(&c, EINVAL, "plan has no clone op");
    report_error(&c);
    return 1;
  }

  int proxy_sock = -1;
  if (p.flags & PLAN_FLAG_PROXY_TTY) {
    /* no console socket: the child's console op sends the master to us */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
      fail(&c, errno, "socketpair for the terminal");
      report_error(&c);
      return 1;
    }
    proxy_sock = sv[0];
    c.console_fd = sv[1];
  }

  if (p.flags & PLAN_FLAG_MONITOR) {
    /* foreground: the runtime forwards signals to the child; we only watch */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
  }

  /* mount sources stage 0 opens for the child go over this (stream: the
   * child reads them one by one, whatever their number) */
  int sources[2] = {-1, -1};
  for (uint32_t k = i; k < p.nops && sources[0] < 0; k++) {
    if (p.ops[k].code != OP_MOUNT_SOURCES) continue;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sources) < 0) {
      fail(&c, errno, "socketpair for the mount sources");
      report_error(&c);
      return 1;
    }
  }

  /* stage 0 writes a byte once the child is placed and its pid reported:
   * the pid is the runtime's first frame, whatever the child says next */
  int release[2];
  if (pipe2(release, O_CLOEXEC) < 0) {
    fail(&c, errno, "pipe");
    report_error(&c);
    return 1;
  }

  c.err_op = (int)i - 1;
  /* An unprivileged caller writes the child's id maps as its owner, which a
   * non-dumpable task's /proc files do not have (they are root's): the child
   * is born dumpable and turns it off once placed, as runc's nsexec does. */
  int owner_maps = geteuid() != 0 && (clone_flags & CLONE_NEWUSER);
  if (owner_maps) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  pid_t pid = c.clone_cgroup >= 0 ? clone_into_cgroup(&c, clone_flags)
                                  : (pid_t)syscall(SYS_clone, (unsigned long)(clone_flags | SIGCHLD), NULL, NULL, NULL, NULL);
  if (owner_maps && pid != 0) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (pid < 0) {
    if (c.clone_cgroup < 0 || !c.err_msg[0]) fail(&c, errno, "clone");
    report_error(&c);
    return 1;
  }
  if (pid == 0) {
    if (p.flags & PLAN_FLAG_MONITOR) {
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      signal(SIGHUP, SIG_DFL);
      signal(SIGQUIT, SIG_DFL);
      signal(SIGTSTP, SIG_DFL);
    }
    close(release[1]);
    if (sources[0] >= 0) close(sources[0]);
    c.sources_fd = sources[1];
    child_main(&c, &p, i, release[0], owner_maps);
  }
  if (c.clone_cgroup >= 0) close(c.clone_cgroup);
  c.clone_cgroup = -1;
  close(release[0]);
  if (sources[1] >= 0) close(sources[1]);
  c.sources_fd = sources[0];

  c.stage = STAGE_PARENT;
  c.child = pid;
  /* these belong to the child now; a monitor holding the fifo would hide the execve from `start` */
  if (c.fifo_fd >= 0) close(c.fifo_fd);
  if (c.console_fd >= 0) close(c.console_fd);
  if (c.listener_fd >= 0) close(c.listener_fd);
  c.fifo_fd = c.console_fd = c.listener_fd = -1;
  for (uint32_t k = i; k < p.nops; k++) {
    if (p.ops[k].stage != STAGE_PARENT) continue;
    c.err_op = (int)k;
    if (run_parent_op(&c, &p.ops[k]) < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      report_error(&c);
      return 1;
    }
  }
  if (c.pidfd_sock >= 0) {
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0 || send_fd(c.pidfd_sock, pfd, "pidfd") < 0) {
      c.err_op = -1;
      fail(&c, errno, "sending the pidfd");
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      report_error(&c);
      return 1;
    }
    close(pfd);
  }
  uint32_t pids[2] = {(uint32_t)pid, (uint32_t)getpid()};
  if (sync_send(c.sync_fd, MSG_PID, pids, sizeof pids) < 0 || write(release[1], "", 1) != 1) {
    kill(pid, SIGKILL);
    return 1;
  }
  close(release[1]);
  if (c.sources_fd >= 0) close(c.sources_fd);
  c.sources_fd = -1;
  if (!(p.flags & PLAN_FLAG_MONITOR)) return 0;

  int status;
  if (proxy_sock >= 0) {
    int master = recv_fd(proxy_sock);
    close(proxy_sock);
    if (master >= 0) {
      proxy_tty(master, pid, &status);
      int32_t st = status;
      sync_send(c.sync_fd, MSG_EXIT, &st, sizeof st);
      return 0;
    }
    /* the child failed before it made a pty: its error is on the sync socket */
  }

  /* Don't keep the container's stdio open: the runtime has its own copies. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    close(devnull);
  }
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  int32_t st = status;
  sync_send(c.sync_fd, MSG_EXIT, &st, sizeof st);
  return 0;
}
