/*
 * The launcher's fast path: `state`, `kill`, `start` and `delete` of a
 * container whose fast form (src/state/fast.def.mjs, written by create beside
 * state.json) says what to do, carried out here without starting Node.
 *
 * No policy and no texts of its own: it acts only when everything is plain
 * (an argv it knows word for word, a record and fast form of this euid that
 * nobody else may write, opened without following links, of this build, the
 * fast form made for exactly that state.json, a status the command accepts,
 * no hook or systemd unit). Anything else, and every failure, returns -1
 * before a side effect, and the launcher starts Node, which does the command
 * from the beginning: every error text, log line and exit code is Node's.
 * The only exception is delete's rmdir of empty cgroups, which Node's delete
 * does first too and which an rmdir that already happened leaves the same.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "exec.h"
#include "fast.h"
#include "fastpath.h"

#define NODE (-1)

enum command { CMD_STATE, CMD_KILL, CMD_START, CMD_DELETE, CMD_LIST };

struct call {
  enum command cmd;
  const char *root;
  const char *id;
  const char *signal; /* kill's, or NULL: SIGTERM */
  int quiet;          /* list -q */
  int all;            /* kill --all */
  int force;          /* delete -f */
  int systemd;        /* --systemd-cgroup */
};

static const struct tlv_schema fast_schema = {
  "fast form", FAST_MAGIC, FAST_VERSION, FAST_BUILD_ID, FAST__END, fast_descs, sizeof(struct fast_rec),
  offsetof(struct fast_rec, u),
};

/* ------------------------------------------------------------------ argv */

/* src/state/id.ts: what a container id may be. */
static int valid_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || !strcmp(id, ".") || !strcmp(id, "..")) return 0;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("_+.-", *p)))
      return 0;
  return 1;
}

/* An absolute path with nothing Node's rootPath() would resolve (src/state/paths.ts). */
static int normal_absolute(const char *p) {
  size_t n = strlen(p);
  if (p[0] != '/') return 0;
  if (n == 1) return 1;
  if (p[n - 1] == '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../")) return 0;
  if ((n >= 2 && !strcmp(p + n - 2, "/.")) || (n >= 3 && !strcmp(p + n - 3, "/.."))) return 0;
  return 1;
}

static int default_root(struct call *c);

/* `--name value` or `--name=value` at argv[*i]; the value, or NULL when argv[*i] is not that flag. */
static const char *flag_value(int argc, char **argv, int *i, const char *name, int *bad) {
  size_t n = strlen(name);
  const char *a = argv[*i];
  if (strncmp(a, name, n)) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n] != 0) return NULL;
  if (*i + 1 >= argc) {
    *bad = 1;
    return NULL;
  }
  return argv[++*i];
}

/*
 * The argv shapes taken here: [--root R] [--log F] [--log-format text|json]
 * then `state ID`, `start ID`, `kill [-a|--all] ID [SIGNAL]`, `delete
 * [-f|--force] ID [-f|--force]`, `list [-q|--quiet] [--format table]`. --log
 * is only opened when there is something to log, and the fast path logs
 * nothing, so it needs no more than being known; --systemd-cgroup changes
 * nothing Node's state, kill, start and list do, nor delete --force of an id
 * that is not there (any other delete with it is Node's).
 */
static int parse(int argc, char **argv, struct call *c) {
  int i = 1, bad = 0, systemd = 0;
  c->root = NULL;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *v;
    if ((v = flag_value(argc, argv, &i, "--root", &bad))) c->root = v;
    else if (!bad && (v = flag_value(argc, argv, &i, "--log-format", &bad))) {
      if (strcmp(v, "text") && strcmp(v, "json")) return NODE;
    } else if (!bad && (v = flag_value(argc, argv, &i, "--log", &bad))) {
      if (!*v) return NODE;
    } else if (!bad && !strcmp(argv[i], "--systemd-cgroup")) {
      systemd = 1; /* engines pass it on every call; only a delete could need it (Node's) */
    } else return NODE;
  }
  if (i >= argc) return NODE;
  const char *word = argv[i++];
  if (!strcmp(word, "state")) c->cmd = CMD_STATE;
  else if (!strcmp(word, "kill")) c->cmd = CMD_KILL;
  else if (!strcmp(word, "start")) c->cmd = CMD_START;
  else if (!strcmp(word, "delete")) c->cmd = CMD_DELETE;
  else if (!strcmp(word, "list")) c->cmd = CMD_LIST;
  else return NODE;
  c->systemd = systemd;
  c->quiet = c->all = c->force = 0;
  if (c->cmd == CMD_LIST) {
    for (; i < argc; i++) {
      const char *v;
      if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) c->quiet = 1;
      else if ((v = flag_value(argc, argv, &i, "--format", &bad)) || (!bad && (v = flag_value(argc, argv, &i, "-f", &bad)))) {
        if (strcmp(v, "table")) return NODE;
      } else return NODE;
    }
    c->id = NULL;
    return default_root(c);
  }
  const char *pos[2];
  int npos = 0;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] == '-') {
      if (c->cmd == CMD_DELETE && (!strcmp(a, "-f") || !strcmp(a, "--force"))) {
        c->force = 1;
        continue;
      }
      /* before the id only: runc reads `kill ID --all 9` as container "9", and so does Node */
      if (c->cmd == CMD_KILL && npos == 0 && (!strcmp(a, "-a") || !strcmp(a, "--all"))) {
        c->all = 1;
        continue;
      }
      return NODE;
    }
    if (npos == 2) return NODE;
    pos[npos++] = a;
  }
  if (npos < 1 || npos > (c->cmd == CMD_KILL ? 2 : 1)) return NODE;
  c->id = pos[0];
  c->signal = npos == 2 ? pos[1] : NULL;
  if (!valid_id(c->id)) return NODE;
  return default_root(c);
}

static int default_root(struct call *c) {
  if (!c->root) {
    /* src/cli/rootless.ts defaultRoot: /run/tsrun for root without XDG_RUNTIME_DIR; the rest is Node's to decide */
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (geteuid() != 0 || (xdg && *xdg)) return NODE;
    c->root = "/run/tsrun";
  }
  return normal_absolute(c->root) ? 0 : NODE;
}

/* ----------------------------------------------------------- the record */

/* A regular file of this euid that group and others cannot write, not through a link. */
static int open_own(int dirfd, const char *name, struct stat *st) {
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid() || (st->st_mode & 022)) {
    close(fd);
    return -1;
  }
  return fd;
}

struct container {
  int rootfd, dirfd;
  int missing; /* the root is there, the id's directory is not */
  uint8_t *form;
  struct fast_rec *rec;
  const struct fast_container *c;
};

static void release(struct container *k) {
  if (k->dirfd >= 0) close(k->dirfd);
  if (k->rootfd >= 0) close(k->rootfd);
  if (k->rec && k->rec->u.container.cgroup_dirs.v) free(k->rec->u.container.cgroup_dirs.v);
  free(k->rec);
  free(k->form);
}

/* FNV-1a, 32 bits (src/plan/encode.ts fnv1a32): the fast form's body, in its header's reserved word. */
static uint32_t fnv1a32(const uint8_t *p, size_t n) {
  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
  return h;
}

/* The fast form of `id`, made for the state.json that is there now. */
static int load(const struct call *call, struct container *k) {
  struct stat st, rs;
  k->rootfd = open(call->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (k->rootfd < 0) return NODE;
  k->dirfd = openat(k->rootfd, call->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (k->dirfd < 0) {
    k->missing = errno == ENOENT;
    return NODE;
  }
  int fd = open_own(k->dirfd, FAST_FILE, &st);
  if (fd < 0) return NODE;
  if (st.st_size <= 0 || st.st_size > FAST_MAX || !(k->form = malloc((size_t)st.st_size))) {
    close(fd);
    return NODE;
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, k->form + got, (size_t)st.st_size - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  uint32_t flags, n;
  void *recs;
  char err[256];
  uint32_t sum;
  if (got != (size_t)st.st_size || got < 24) return NODE;
  memcpy(&sum, k->form + 20, 4);
  if (sum != fnv1a32(k->form + 24, got - 24)) return NODE;
  if (tlv_decode(&fast_schema, k->form, got, &flags, &n, &recs, err, sizeof err) < 0) return NODE;
  k->rec = recs;
  if (n != 1 || k->rec->code != FAST_CONTAINER) return NODE;
  k->c = &k->rec->u.container;
  if (strcmp(k->c->id, call->id) || k->c->pid == 0 || k->c->pid > 0x7fffffff) return NODE;
  /* the state.json this form was written with: ino, size, mtimeMs, ctimeMs as Node's lstat computes them */
  fd = open_own(k->dirfd, STATE_FILE, &rs);
  if (fd < 0) return NODE;
  close(fd);
  double now[4] = {
    (double)rs.st_ino,
    (double)rs.st_size,
    (double)rs.st_mtim.tv_sec * 1000 + (double)rs.st_mtim.tv_nsec / 1000000,
    (double)rs.st_ctim.tv_sec * 1000 + (double)rs.st_ctim.tv_nsec / 1000000,
  };
  if (k->c->record_stat.len != sizeof now || memcmp(k->c->record_stat.p, now, sizeof now)) return NODE;
  return 0;
}

/* ----------------------------------------------------------- the status */

static ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return n;
}

/* src/state/proc.ts isAlive: the pid, not a zombie, with the start time create saw. */
static int alive(uint32_t pid, uint64_t start) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%u/stat", pid);
  if (read_small(path, buf, sizeof buf) <= 0) return 0;
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ') return 0;
  p += 2; /* field 3 */
  char state = *p;
  if (state == 'Z' || state == 'X' || state == 'x') return 0;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (errno || end == p || (*end != ' ' && *end != '\n' && *end)) return 0;
  return v == start;
}

/* src/state/status.ts cgroupFrozen: the file, whitespace trimmed, equal to `want`. */
static int file_says(const char *dir, const char *file, const char *want) {
  char path[4200], buf[64];
  if (!*dir) return 0;
  if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) return 0;
  if (read_small(path, buf, sizeof buf) < 0) return 0;
  char *s = buf, *e = buf + strlen(buf);
  while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r')) e--;
  *e = 0;
  return !strcmp(s, want);
}

/* src/state/status.ts containerStatus, in its order. */
static enum fast_status status_of(const struct container *k) {
  const struct fast_container *c = k->c;
  struct stat st;
  if (!alive(c->pid, c->pid_start)) return STATUS_STOPPED;
  if (file_says(c->freezer_v1, "freezer.state", "FROZEN") || file_says(c->freezer_v2, "cgroup.freeze", "1"))
    return STATUS_PAUSED;
  if (fstatat(k->dirfd, EXEC_FIFO, &st, AT_SYMLINK_NOFOLLOW) == 0) return STATUS_CREATED;
  return STATUS_RUNNING;
}

/* ------------------------------------------------------------- the lock */

/*
 * src/state/lock.ts: the abstract socket name of container `id` under
 * `root`, bound as Node's libuv binds it (the whole sun_path, NUL padded).
 * A name too long for Node to use unhashed, or one held: Node's to handle.
 */
static int take_lock(const struct call *call) {
  struct stat st;
  struct sockaddr_un a;
  if (stat(call->root, &st) < 0) return -1;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "tsrun-lock/%llx:%llx/%s", (unsigned long long)st.st_dev,
                   (unsigned long long)st.st_ino, call->id);
  if (n < 0 || n > 107) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* ------------------------------------------------------------- commands */

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
      continue;
    }
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int do_state(struct container *k) {
  const struct fast_container *c = k->c;
  if (c->node_only & NODE_ONLY_STATE) return NODE;
  enum fast_status s = status_of(k);
  if (s == STATUS_PAUSED || s == STATUS_CREATING) return NODE;
  size_t cap = strlen(c->state_before_pid) + strlen(c->state_before_status) + strlen(c->state_after_status) + 32;
  char *out = malloc(cap);
  if (!out) return NODE;
  int n = snprintf(out, cap, "%s%u%s%s%s", c->state_before_pid, s == STATUS_STOPPED ? 0u : c->pid,
                   c->state_before_status, status_names[s], c->state_after_status);
  int rc = n > 0 && (size_t)n < cap && write_all(1, out, (size_t)n) == 0 ? 0 : NODE;
  free(out);
  return rc;
}

/* src/lifecycle/signals.ts parseSignal, for what it takes without a question: digits, or a name of the table. */
static int signal_of(const char *text) {
  if (!text) return SIGTERM;
  size_t n = strlen(text);
  if (n == 0 || n > 16) return -1;
  if (strspn(text, "0123456789") == n) return n > 9 ? -1 : atoi(text);
  char name[24] = "SIG";
  size_t at = (n >= 3 && strncasecmp(text, "SIG", 3) == 0) ? 0 : 3;
  for (size_t i = 0; i < n; i++) name[at + i] = (char)(text[i] >= 'a' && text[i] <= 'z' ? text[i] - 32 : text[i]);
  name[at + n] = 0;
  for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
    if (!strcmp(signal_names[i].name, name)) return signal_names[i].num;
  return -1;
}

/*
 * No process left in any of the container's cgroup directories (each one
 * gone, or with an empty cgroup.procs and no directory below it): nothing
 * for kill --all to signal, whichever way it would go about it.
 */
static int cgroups_empty(const struct fast_container *c) {
  for (uint32_t i = 0; i < c->cgroup_dirs.n; i++) {
    int fd = open(c->cgroup_dirs.v[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return 0;
    }
    char buf[16];
    int pf = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
    ssize_t n = pf < 0 ? -1 : read(pf, buf, sizeof buf);
    if (pf >= 0) close(pf);
    DIR *d = n == 0 ? fdopendir(fd) : NULL;
    if (!d) {
      close(fd);
      return 0;
    }
    int sub = 0;
    struct dirent *e;
    while (!sub && (e = readdir(d)))
      sub = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN);
    closedir(d);
    if (sub) return 0;
  }
  return 1;
}

static int do_kill(struct container *k, const struct call *call) {
  if (k->c->node_only & NODE_ONLY_KILL) return NODE;
  if (call->all) {
    /* src/cli/kill.ts: a stopped container's --all signals nothing; with
     * processes left in its cgroup, or an init alive, the cgroup walk is Node's */
    if ((k->c->node_only & NODE_ONLY_KILLALL) || alive(k->c->pid, k->c->pid_start) || signal_of(call->signal) < 0 ||
        !cgroups_empty(k->c))
      return NODE;
    return 0;
  }
  /* as Node's kill: only the init's liveness decides (created, running and paused take a signal) */
  if (!alive(k->c->pid, k->c->pid_start)) return NODE;
  int sig = signal_of(call->signal);
  if (sig < 0) return NODE;
  return kill((pid_t)k->c->pid, sig) == 0 ? 0 : NODE;
}

/* src/lifecycle/start.ts releaseInit: one byte to the fifo, then more until the init's execve closes it (EPIPE). */
static int do_start(struct container *k, const struct call *call) {
  if (k->c->node_only & NODE_ONLY_START) return NODE;
  if (status_of(k) != STATUS_CREATED) return NODE;
  /* the fifo is removed after the release, when it is too late to hand
   * over: a state dir that cannot take that (a read-only --root) is Node's,
   * whose error says so in its words */
  struct statvfs fs;
  if (fstatvfs(k->dirfd, &fs) < 0 || (fs.f_flag & ST_RDONLY)) return NODE;
  int fd = openat(k->dirfd, EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return NODE;
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  if (write(fd, "0", 1) != 1) {
    signal(SIGPIPE, old);
    close(fd);
    return NODE;
  }
  /* released: from here on this is the start, whatever follows */
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long delay_us = 200;
  for (;;) {
    ssize_t w = write(fd, "0", 1);
    if (w < 0 && errno == EPIPE) break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - t0.tv_sec >= 30) break;
    struct timespec d = {0, delay_us * 1000};
    nanosleep(&d, NULL);
    delay_us = delay_us * 2 > 10000 ? 10000 : delay_us * 2;
  }
  close(fd);
  signal(SIGPIPE, old);
  int rc = 0;
  if (unlinkat(k->dirfd, EXEC_FIFO, 0) < 0 && errno != ENOENT) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/%s", call->root, call->id, EXEC_FIFO);
    fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
    rc = 1;
  }
  return rc;
}

/* The state dir's names, or NULL when one is a directory (Node's recursive removal then). */
static char **entries_of(int dirfd, size_t *count) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return NULL;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return NULL;
  }
  size_t n = 0, cap = 8;
  char **v = malloc(cap * sizeof *v);
  struct dirent *e;
  while (v && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode)))) {
      for (size_t i = 0; i < n; i++) free(v[i]);
      free(v);
      v = NULL;
      break;
    }
    if (n == cap) {
      char **w = realloc(v, (cap *= 2) * sizeof *v);
      if (!w) {
        for (size_t i = 0; i < n; i++) free(v[i]);
        free(v);
        v = NULL;
        break;
      }
      v = w;
    }
    v[n++] = strdup(e->d_name);
  }
  closedir(d);
  *count = n;
  return v;
}

/* src/cli/delete.ts for a stopped container: rmdir its (empty) cgroups, then remove the state dir, state.json last. */
static int do_delete(struct container *k, const struct call *call) {
  const struct fast_container *c = k->c;
  if ((c->node_only & NODE_ONLY_DELETE) || call->systemd) return NODE;
  size_t n = 0;
  char **names = NULL;
  int rc = NODE;
  if (status_of(k) != STATUS_STOPPED || !(names = entries_of(k->dirfd, &n))) goto out;
  for (uint32_t i = 0; i < c->cgroup_dirs.n; i++)
    if (rmdir(c->cgroup_dirs.v[i]) < 0 && errno != ENOENT) goto out; /* busy: Node kills and removes it */
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], STATE_FILE) && unlinkat(k->dirfd, names[i], 0) < 0 && errno != ENOENT) goto out;
  if (unlinkat(k->dirfd, STATE_FILE, 0) < 0 && errno != ENOENT) goto out;
  if (unlinkat(k->rootfd, call->id, AT_REMOVEDIR) < 0 && errno != ENOENT) goto out;
  rc = 0;
out:
  for (size_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
  return rc;
}

/* ----------------------------------------------------------------- list */

struct owner {
  unsigned long uid;
  char *name;
};

/* src/state/owner.ts: uid -> name from /etc/passwd, the first entry of a uid winning; -1 on a line it would read otherwise. */
static int read_owners(struct owner **out, size_t *count) {
  static char buf[1 << 16];
  ssize_t n = read_small("/etc/passwd", buf, sizeof buf);
  *out = NULL;
  *count = 0;
  if (n < 0) return 0; /* none: every owner is #uid, as in Node */
  if ((size_t)n >= sizeof buf - 1) return -1;
  size_t cap = 0;
  for (char *line = buf, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    char *name = line, *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || name[0] == '#') continue;
    *c1 = 0;
    *c2 = 0;
    const char *uid = c2 + 1, *end = strchr(uid, ':');
    size_t len = end ? (size_t)(end - uid) : strlen(uid);
    if (len == 0 || len > 10 || strspn(uid, "0123456789") != len) return -1;
    unsigned long v = strtoul(uid, NULL, 10);
    int seen = 0;
    for (size_t i = 0; i < *count; i++) seen |= (*out)[i].uid == v;
    if (seen) continue;
    if (*count == cap) {
      struct owner *w = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof **out);
      if (!w) return -1;
      *out = w;
    }
    (*out)[(*count)++] = (struct owner){v, name};
  }
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Characters, as Go's tabwriter and src/state/table.ts count them (code points of UTF-8). */
static size_t width(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
  return n;
}

#define COLS 6

/* src/cli/list.ts: every container's row, or Node when one of them is not plain (no fast form, paused, being made). */
static int do_list(const struct call *call) {
  int rc = NODE, rootfd = open(call->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return NODE;
  DIR *d = fdopendir(rootfd);
  if (!d) {
    close(rootfd);
    return NODE;
  }
  size_t n = 0, cap = 0;
  char **ids = NULL;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (e->d_type == DT_UNKNOWN) goto out;
    if (e->d_type != DT_DIR || !valid_id(e->d_name)) continue;
    if (n == cap) {
      char **w = realloc(ids, (cap = cap ? cap * 2 : 64) * sizeof *ids);
      if (!w) goto out;
      ids = w;
    }
    if (!(ids[n] = strdup(e->d_name))) goto out;
    n++;
  }
  if (n > 1) qsort(ids, n, sizeof *ids, cmp_names);
  struct owner *owners = NULL;
  size_t nowners = 0;
  char *cells = NULL, *outbuf = NULL;
  if (read_owners(&owners, &nowners) < 0) goto done;
  /* each row's cells, NUL separated; the header first */
  size_t csize = 64, cused = 0;
  cells = malloc(csize);
  size_t widths[COLS] = {0};
  const char *header[COLS] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
  for (size_t r = 0; r <= n && cells; r++) {
    const char *row[COLS];
    char pid[16], owner[32];
    struct container k = {-1, -1, 0, NULL, NULL, NULL};
    if (r == 0) memcpy(row, header, sizeof row);
    else {
      struct call one = *call;
      struct stat st;
      one.id = ids[r - 1];
      if (load(&one, &k) < 0 || fstat(k.dirfd, &st) < 0) {
        release(&k);
        goto done;
      }
      enum fast_status s = status_of(&k);
      if (s == STATUS_PAUSED || s == STATUS_CREATING) {
        release(&k);
        goto done;
      }
      snprintf(pid, sizeof pid, "%u", s == STATUS_STOPPED ? 0u : k.c->pid);
      const char *name = NULL;
      for (size_t i = 0; i < nowners && !name; i++)
        if (owners[i].uid == st.st_uid) name = owners[i].name;
      if (!name) snprintf(owner, sizeof owner, "#%u", (unsigned)st.st_uid);
      const char *cols[COLS] = {k.c->id, pid, status_names[s], k.c->bundle, k.c->created, name ? name : owner};
      memcpy(row, cols, sizeof row);
    }
    for (int c = 0; c < COLS; c++) {
      size_t len = strlen(row[c]) + 1;
      if (c < COLS - 1) {
        size_t w = width(row[c]) + 3;
        if (w > widths[c]) widths[c] = w;
      }
      while (cused + len > csize) {
        char *w = realloc(cells, csize *= 2);
        if (!w) {
          release(&k);
          goto done;
        }
        cells = w;
      }
      memcpy(cells + cused, row[c], len);
      cused += len;
    }
    release(&k);
  }
  if (!cells) goto done;
  size_t osize = cused * 2 + 64 * (n + 1), oused = 0;
  for (int c = 0; c < COLS - 1; c++) {
    if (widths[c] < 12) widths[c] = 12;
    osize += widths[c] * (n + 1);
  }
  if (!(outbuf = malloc(osize))) goto done;
  const char *p = cells;
  for (size_t r = 0; r <= n; r++) {
    if (call->quiet) {
      size_t len = strlen(p);
      if (r > 0) {
        memcpy(outbuf + oused, p, len);
        oused += len;
        outbuf[oused++] = '\n';
      }
      for (int c = 0; c < COLS; c++) p += strlen(p) + 1;
      continue;
    }
    for (int c = 0; c < COLS; c++) {
      size_t len = strlen(p);
      memcpy(outbuf + oused, p, len);
      oused += len;
      if (c < COLS - 1)
        for (size_t pad = width(p); pad < widths[c]; pad++) outbuf[oused++] = ' ';
      p += len + 1;
    }
    outbuf[oused++] = '\n';
  }
  rc = write_all(1, outbuf, oused) == 0 ? 0 : NODE;
done:
  free(outbuf);
  free(cells);
  free(owners);
out:
  for (size_t i = 0; i < n; i++) free(ids[i]);
  free(ids);
  closedir(d);
  return rc;
}

int fastpath(int argc, char **argv) {
  const char *off = getenv("TSRUN_NO_FASTPATH");
  if (off && *off && strcmp(off, "0")) return NODE;
  struct call call;
  if (parse(argc, argv, &call) < 0) return NODE;
  if (call.cmd == CMD_LIST) return do_list(&call);
  /* start and delete hold the container's lock from before the record is read, as Node's do */
  int lock = -1;
  if ((call.cmd == CMD_START || call.cmd == CMD_DELETE) && (lock = take_lock(&call)) < 0) return NODE;
  struct container k = {-1, -1, 0, NULL, NULL, NULL};
  int rc = load(&call, &k);
  if (rc < 0) {
    /* src/cli/delete.ts: --force of an id that is not there succeeds, having nothing to remove */
    if (call.cmd == CMD_DELETE && call.force && k.missing) rc = 0;
  } else {
    switch (call.cmd) {
    case CMD_STATE: rc = do_state(&k); break;
    case CMD_KILL: rc = do_kill(&k, &call); break;
    case CMD_START: rc = do_start(&k, &call); break;
    case CMD_DELETE: rc = do_delete(&k, &call); break;
    case CMD_LIST: break;
    }
  }
  release(&k);
  if (lock >= 0) close(lock);
  return rc;
}
