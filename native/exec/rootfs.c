/* The container's filesystem: every target is resolved inside the root with
 * openat2(RESOLVE_IN_ROOT) (or a component walk where the kernel lacks it),
 * missing components are made with *at() calls relative to fds (a dangling
 * symlink's target made inside the root too), and mounts go onto
 * /proc/self/fd/N of the resolved fd or with move_mount onto it, so a symlink
 * planted in the rootfs can never redirect a mount to the host. procfs and
 * sysfs refuse any symlink on the way; device nodes are never replaced; in a
 * user namespace a device is a bind of a host node verified to be that very
 * device. Failures name the destination ("destination /x: mount tmpfs"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <signal.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>
#include "exec.h"

#define MKDIR_DIR 0
#define MKDIR_FILE 1
#define MKDIR_AUTO 2
#define MKDIR_NONE 3

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* MS_NOSYMFOLLOW and its statvfs bit (kernel 5.10; not in every libc's headers) */
#define MS_NOSYMFOLLOW_ 256UL
#define ST_NOSYMFOLLOW_ 0x2000UL

#define MAX_LINKS 40

/* Without openat2 (kernels before 5.6), or when told to for tests
 * (TSRUN_EXEC_NO_OPENAT2=1): walk the path one component at a time with
 * O_PATH|O_NOFOLLOW, expanding symlinks ourselves, an absolute target
 * restarting at the root and ".." never climbing above it. Magic links
 * (/proc/self/fd/N and the like) are symlinks here too, so they expand to
 * their text and stay inside the root. */
static int same_dir(int a, int b) {
  struct stat x, y;
  return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int walk_in_root(int root, const char *path, int flags, int nolinks) {
  char rest[8192];
  if (snprintf(rest, sizeof rest, "%s", path) >= (int)sizeof rest) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int cur = dup(root);
  if (cur < 0) return -1;
  int links = 0;
  char *p = rest;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *end = strchr(p, '/');
    char comp[256];
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n >= sizeof comp) {
      close(cur);
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(comp, p, n);
    comp[n] = 0;
    p += n;
    int last = 1;
    for (const char *q = p; *q; q++)
      if (*q != '/') {
        last = 0;
        break;
      }
    if (!strcmp(comp, ".")) continue;
    if (!strcmp(comp, "..")) {
      if (same_dir(cur, root)) continue;
      int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      close(cur);
      if (up < 0) return -1;
      cur = up;
      continue;
    }
    int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      int e = errno;
      close(cur);
      errno = e;
      return -1;
    }
    struct stat st;
    if (fstat(next, &st) < 0) {
      int e = errno;
      close(next);
      close(cur);
      errno = e;
      return -1;
    }
    if (S_ISLNK(st.st_mode) && nolinks) {
      close(next);
      close(cur);
      errno = ELOOP;
      return -1;
    }
    if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      char target[4096], joined[8192];
      ssize_t k = readlinkat(next, "", target, sizeof target - 1);
      close(next);
      if (k < 0 || ++links > MAX_LINKS) {
        if (k >= 0) errno = ELOOP;
        close(cur);
        return -1;
      }
      target[k] = 0;
      if (snprintf(joined, sizeof joined, "%s/%s", target, p) >= (int)sizeof joined) {
        close(cur);
        errno = ENAMETOOLONG;
        return -1;
      }
      strcpy(rest, joined);
      p = rest;
      if (target[0] == '/') {
        close(cur);
        cur = dup(root);
        if (cur < 0) return -1;
      }
      continue;
    }
    close(cur);
    cur = next;
  }
  /* cur is the answer as O_PATH; reopen it with the caller's flags */
  if ((flags & O_DIRECTORY)) {
    struct stat st;
    if (fstat(cur, &st) == 0 && !S_ISDIR(st.st_mode)) {
      close(cur);
      errno = ENOTDIR;
      return -1;
    }
  }
  if (flags & O_PATH) return cur;
  char fp[64];
  snprintf(fp, sizeof fp, "/proc/self/fd/%d", cur);
  int fd = open(fp, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
  int e = errno;
  close(cur);
  errno = e;
  return fd;
}

static int no_openat2 = -1;

static int openat2_in_root_how(int root, const char *path, int flags, uint64_t resolve) {
  if (no_openat2 < 0) {
    const char *v = getenv("TSRUN_EXEC_NO_OPENAT2");
    no_openat2 = v && *v == '1';
  }
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve};
  while (*path == '/') path++;
  if (!*path) path = ".";
  int fd = -1;
  if (!no_openat2) {
    do fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
    while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    if (fd >= 0 || errno != ENOSYS) return fd;
    no_openat2 = 1;
  }
  return walk_in_root(root, path, flags, (resolve & RESOLVE_NO_SYMLINKS) != 0);
}

static int openat2_in_root(int root, const char *path, int flags) {
  return openat2_in_root_how(root, path, flags, 0);
}

static const char *fdpath(int fd, char *buf, size_t len) {
  snprintf(buf, len, "/proc/self/fd/%d", fd);
  return buf;
}

static int root_fd(struct ctx *c) {
  if (c->root_fd < 0) c->root_fd = open("/", O_PATH | O_CLOEXEC | O_DIRECTORY);
  return c->root_fd;
}

/* Split "a/b/c" into parent "a/b" and name "c" (in place copies). */
static int split(const char *path, char *parent, size_t plen, const char **name) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  if (n >= plen) return -1;
  memcpy(parent, path, n);
  parent[n] = 0;
  char *slash = strrchr(parent, '/');
  if (!slash) {
    *name = path;
    strcpy(parent, "/");
    return 0;
  }
  *name = path + (slash - parent) + 1;
  if (slash == parent) slash[1] = 0;
  else *slash = 0;
  return 0;
}

/* Lexically clean an absolute path in place: no "." or empty components, and
 * ".." never above "/" (the root clamps it, as RESOLVE_IN_ROOT does). */
static void clean_path(char *p) {
  char out[4096];
  size_t o = 0;
  const char *s = p;
  while (*s) {
    while (*s == '/') s++;
    const char *e = s;
    while (*e && *e != '/') e++;
    size_t n = (size_t)(e - s);
    if (n == 0 || (n == 1 && s[0] == '.')) {
      /* skip */
    } else if (n == 2 && s[0] == '.' && s[1] == '.') {
      while (o > 0 && out[o - 1] != '/') o--;
      if (o > 0) o--;
    } else if (o + 1 + n < sizeof out) {
      out[o++] = '/';
      memcpy(out + o, s, n);
      o += n;
    }
    s = e;
  }
  if (o == 0) out[o++] = '/';
  out[o] = 0;
  strcpy(p, out);
}

/* The path inside the root of an fd resolved inside it (its host path with the
 * root's host path cut off). */
static int path_in_root(struct ctx *c, int fd, char *buf, size_t len) {
  char p[64], rootp[4096], fdp[4096];
  ssize_t rn = readlink(fdpath(root_fd(c), p, sizeof p), rootp, sizeof rootp - 1);
  ssize_t fn = readlink(fdpath(fd, p, sizeof p), fdp, sizeof fdp - 1);
  if (rn < 0 || fn < 0) return -1;
  rootp[rn] = 0;
  fdp[fn] = 0;
  if (strcmp(rootp, "/") == 0) rn = 0;
  if (strncmp(fdp, rootp, (size_t)rn) != 0 || (fdp[rn] != '/' && fdp[rn] != 0)) {
    errno = EXDEV; /* not below the root: never act on it */
    return -1;
  }
  snprintf(buf, len, "%s", fdp[rn] ? fdp + rn : "/");
  return 0;
}

/* `name` in the directory `pfd` is a symlink whose target is missing: the
 * path, inside the root, it points to (made from the directory's real path
 * inside the root, so every step is resolved in the root again). */
static int dangling_target(struct ctx *c, int pfd, const char *name, char *out, size_t len) {
  struct stat st;
  char link[4096], base[4096];
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return -1;
  if (!S_ISLNK(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  ssize_t n = readlinkat(pfd, name, link, sizeof link - 1);
  if (n < 0) return -1;
  link[n] = 0;
  if (link[0] == '/') snprintf(out, len, "%s", link);
  else {
    if (path_in_root(c, pfd, base, sizeof base) < 0) return -1;
    if ((size_t)snprintf(out, len, "%s/%s", base, link) >= len) {
      errno = ENAMETOOLONG;
      return -1;
    }
  }
  clean_path(out);
  return 0;
}


/* mkdir -p inside the root; returns an O_PATH fd of the directory. A
 * component that is a dangling symlink is followed inside the root (its
 * target made there), at most MAX_LINKS times. */
static int mkdir_in_root_n(struct ctx *c, const char *path, mode_t mode, int *links) {
  int fd = openat2_in_root(root_fd(c), path, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) return fd;
  char parent[4096];
  const char *name;
  if (split(path, parent, sizeof parent, &name) < 0 || !*name) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int pfd = mkdir_in_root_n(c, parent, 0755, links);
  if (pfd < 0) return -1;
  /* an O_PATH fd is enough for *at() calls */
  if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST) {
    int e = errno;
    close(pfd);
    errno = e;
    return -1;
  }
  fd = openat2_in_root(root_fd(c), path, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno == ENOENT) {
    char target[4096];
    if (++*links > MAX_LINKS) errno = ELOOP;
    else if (dangling_target(c, pfd, name, target, sizeof target) == 0) fd = mkdir_in_root_n(c, target, mode, links);
  }
  int e = errno;
  close(pfd);
  errno = e;
  return fd;
}

static int mkdir_in_root(struct ctx *c, const char *path, mode_t mode) {
  int links = 0;
  return mkdir_in_root_n(c, path, mode, &links);
}

/* Resolve a target inside the root, making it (a directory or an empty file)
 * when missing; returns an O_PATH fd. */
static int resolve_target(struct ctx *c, const char *path, int kind) {
  int fd = openat2_in_root(root_fd(c), path, O_PATH);
  if (fd >= 0 || errno != ENOENT || kind == MKDIR_NONE) return fd;
  if (kind == MKDIR_DIR) return mkdir_in_root(c, path, 0755);
  char cur[4096];
  snprintf(cur, sizeof cur, "%s", path);
  for (int links = 0;; links++) {
    char parent[4096];
    const char *name;
    if (split(cur, parent, sizeof parent, &name) < 0) {
      errno = ENAMETOOLONG;
      return -1;
    }
    int pfd = mkdir_in_root(c, parent, 0755);
    if (pfd < 0) return -1;
    char pp[64];
    int dfd = open(fdpath(pfd, pp, sizeof pp), O_DIRECTORY | O_RDONLY | O_CLOEXEC); /* mknodat needs a real dir fd */
    if (dfd < 0) {
      int e = errno;
      close(pfd);
      errno = e;
      return -1;
    }
    int r = mknodat(dfd, name, S_IFREG | 0644, 0);
    int e = errno;
    close(dfd);
    if (r < 0 && e != EEXIST) {
      close(pfd);
      errno = e;
      return -1;
    }
    fd = openat2_in_root(root_fd(c), cur, O_PATH);
    if (fd >= 0 || errno != ENOENT) {
      e = errno;
      close(pfd);
      errno = e;
      return fd;
    }
    /* a dangling symlink: make its target, inside the root */
    char next[4096];
    r = links >= MAX_LINKS ? (errno = ELOOP, -1) : dangling_target(c, pfd, name, next, sizeof next);
    e = errno;
    close(pfd);
    if (r < 0) {
      errno = e;
      return -1;
    }
    snprintf(cur, sizeof cur, "%s", next);
  }
}

/* A real directory fd for the parent of path (made if missing), and the name. */
static int parent_dir(struct ctx *c, const char *path, const char **name, char *buf, size_t len) {
  if (split(path, buf, len, name) < 0 || !**name) {
    errno = EINVAL;
    return -1;
  }
  int pfd = mkdir_in_root(c, buf, 0755);
  if (pfd < 0) return -1;
  char pp[64];
  snprintf(pp, sizeof pp, "/proc/self/fd/%d", pfd);
  int dfd = open(pp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0 && errno == ENOENT) {
    /* no /proc (after pivot into a root without one): the path is ours already */
    dfd = openat(root_fd(c), buf[0] == '/' ? buf + 1 : buf, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0 && !buf[1]) dfd = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  }
  close(pfd);
  return dfd;
}

/* Flags a remount must keep: those locked by a user namespace, and the rest we see now. */
static unsigned long current_flags(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  if (sv.f_flag & ST_NOSYMFOLLOW_) f |= MS_NOSYMFOLLOW_;
  return f;
}

static int remount_bind(const char *target, unsigned long flags) {
  unsigned long keep = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                       MS_STRICTATIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME | MS_NOSYMFOLLOW_;
  flags &= keep;
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0) return 0;
  if (errno != EPERM) return -1;
  /* a user namespace cannot clear locked flags: keep what is there */
  return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags | current_flags(target), NULL);
}

/* A bind's own options take only with a remount of the new mount, and an
 * fd held from before the mount names the mount point under it: reopen. */
static int remount_target(struct ctx *c, const char *target, unsigned long flags) {
  char p[64];
  int fd = resolve_target(c, target, MKDIR_NONE);
  if (fd < 0) return fail(c, errno, "destination %s: reopen", target);
  int r = remount_bind(fdpath(fd, p, sizeof p), flags);
  int e = errno;
  close(fd);
  if (r < 0) return fail(c, e, "destination %s: remount with its options", target);
  return 0;
}

int op_propagation(struct ctx *c, const struct op_propagation *o) {
  if (mount(NULL, o->target, NULL, o->flags, NULL) < 0) return fail(c, errno, "set propagation of %s", o->target);
  return 0;
}

static void unescape_mountinfo(char *s);

/* The mount that holds the rootfs goes private if it is shared (runc's
 * rootfsParentMountPrivate): pivot_root refuses a shared parent, and the
 * rootfs bind made next must not show up in the peers' namespaces (the
 * host's, with rootfsPropagation shared). Only that mount: what the root's
 * propagation gave the rest of the tree (an rshared bind source keeps its
 * host peer group) stays. */
static int rootfs_parent_private(struct ctx *c, const char *rootfs) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return fail(c, errno, "open /proc/self/mountinfo");
  char *line = NULL, best[4096] = "";
  size_t llen = 0, bestlen = 0;
  int shared = 0;
  while (getline(&line, &llen, f) > 0) {
    char point[4096];
    const char *dash = strstr(line, " - ");
    if (!dash || sscanf(line, "%*u %*u %*s %*s %4095s", point) != 1) continue;
    unescape_mountinfo(point);
    size_t k = strlen(point);
    int covers = k == 1 || (strncmp(rootfs, point, k) == 0 && (rootfs[k] == 0 || rootfs[k] == '/'));
    /* the longest mount point wins; of mounts stacked on it, the last (the one seen) */
    if (!covers || k < bestlen) continue;
    bestlen = k;
    memcpy(best, point, k + 1);
    *(char *)dash = 0;
    shared = strstr(line, " shared:") != NULL;
  }
  free(line);
  fclose(f);
  if (bestlen == 0) return fail(c, ENOENT, "find the mount holding the rootfs %s", rootfs);
  if (shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0) return fail(c, errno, "make %s (the rootfs's parent mount) private", best);
  return 0;
}

int op_rootfs(struct ctx *c, const struct op_rootfs *o) {
  if (rootfs_parent_private(c, o->path) < 0) return -1;
  /* a bind of the rootfs onto itself makes it a mount point, as pivot_root needs */
  if (mount(o->path, o->path, NULL, MS_BIND | MS_REC, NULL) < 0) return fail(c, errno, "bind rootfs %s", o->path);
  if (c->root_fd >= 0) close(c->root_fd);
  c->root_fd = open(o->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->root_fd < 0) return fail(c, errno, "open rootfs %s", o->path);
  return 0;
}

#define MOUNT_OPT_BIND 1u
#define MOUNT_OPT_TMPCOPYUP 2u /* a tmpfs starts with a copy of what it covers (runc's tmpcopyup) */
#define MOUNT_OPT_HOST_SOURCE 4u /* the bind source comes opened from stage 0 (mount_sources) */
#define MOUNT_OPT_PROC_SOURCE 8u /* the bind source must be a procfs, the target a real directory */

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* Bind sources of a container with a new user namespace: its root may not
 * reach them (a 0700 host directory on the way), so stage 0 opens them with
 * the host's credentials and hands them over, as runc's nsexec does. A bind
 * takes its source only from the caller's own mount namespace: they are
 * opened from inside the child's, which stage 0 then leaves again. */
int op_mount_sources(struct ctx *c) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)c->child);
  int host = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  int child = host < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (child < 0 || cwd < 0 || setns(child, CLONE_NEWNS) < 0) {
    int e = errno;
    if (host >= 0) close(host);
    if (child >= 0) close(child);
    if (cwd >= 0) close(cwd);
    return fail(c, e, "enter the container's mount namespace to open the bind sources");
  }
  close(child);
  int rc = 0;
  for (uint32_t k = 0; k < c->plan->nops && rc == 0; k++) {
    const struct op *op = &c->plan->ops[k];
    if (op->code != OP_MOUNT || !(op->u.mount.options & MOUNT_OPT_HOST_SOURCE)) continue;
    int fd = open(op->u.mount.source, O_PATH | O_CLOEXEC);
    if (fd < 0 || send_fd(c->sources_fd, fd, NULL) < 0) {
      c->err_op = (int)k; /* the mount's own error, naming its config field */
      rc = fail(c, errno, "destination %s: bind %s", op->u.mount.target, op->u.mount.source);
    }
    if (fd >= 0) close(fd);
  }
  /* back to our own namespace: the rest of stage 0 acts on host paths */
  int back = setns(host, CLONE_NEWNS) == 0 && fchdir(cwd) == 0 ? 0 : errno;
  close(host);
  close(cwd);
  return back ? fail(c, back, "return to the runtime's mount namespace") : rc;
}

/* Copy the tree below the directory `src` into the directory `dst`: files,
 * directories, links and nodes with their modes and owners, every name
 * relative to a directory fd and never followed. */
static int copy_tree(int src, int dst, int depth) {
  if (depth > 64) {
    errno = ELOOP;
    return -1;
  }
  int dfd = dup(src);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    if (dfd >= 0) close(dfd);
    return -1;
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d))) {
    const char *n = de->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
    struct stat st;
    if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      rc = -1;
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      int a = -1, b = -1;
      if (mkdirat(dst, n, 0700) < 0 || (a = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
          (b = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || copy_tree(a, b, depth + 1) < 0)
        rc = -1;
      if (a >= 0) close(a);
      if (b >= 0) close(b);
    } else if (S_ISREG(st.st_mode)) {
      int a = openat(src, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      int b = a < 0 ? -1 : openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      char buf[65536];
      ssize_t k = a < 0 || b < 0 ? -1 : 0;
      while (k >= 0 && (k = read(a, buf, sizeof buf)) > 0)
        if (write(b, buf, (size_t)k) != k) k = -1;
      if (k < 0) rc = -1;
      if (a >= 0) close(a);
      if (b >= 0) close(b);
    } else if (S_ISLNK(st.st_mode)) {
      char t[4096];
      ssize_t k = readlinkat(src, n, t, sizeof t - 1);
      if (k < 0) rc = -1;
      else {
        t[k] = 0;
        if (symlinkat(t, dst, n) < 0) rc = -1;
      }
    } else if (mknodat(dst, n, st.st_mode, st.st_rdev) < 0) {
      rc = -1;
    }
    if (rc == 0 && fchownat(dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) rc = -1;
    if (rc == 0 && !S_ISLNK(st.st_mode) && fchmodat(dst, n, st.st_mode & 07777, 0) < 0) rc = -1;
  }
  int e = errno;
  closedir(d);
  errno = e;
  return rc;
}

/* The source of a bind as an O_PATH fd: handed over by stage 0, or opened
 * here. The bind is made from that fd, so what was checked is what is mounted. */
static int bind_source(struct ctx *c, const struct op_mount *o) {
  int src;
  if (o->options & MOUNT_OPT_HOST_SOURCE) {
    src = recv_fd(c->sources_fd);
    if (src < 0) return fail(c, EPROTO, "destination %s: bind %s: no source fd from stage 0", o->target, o->source);
  } else {
    src = open(o->source, O_PATH | O_CLOEXEC);
    if (src < 0) return fail(c, errno, "destination %s: bind %s", o->target, o->source);
  }
  struct statfs sf;
  if ((o->options & MOUNT_OPT_PROC_SOURCE) && (fstatfs(src, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)) {
    close(src);
    return fail(c, 0, "\"%s\" cannot be mounted because it is not of type proc", o->target); /* runc's words, no errno */
  }
  return src;
}

int op_mount(struct ctx *c, const struct op_mount *o) {
  int kind = (int)o->mkdir;
  int bind = (o->options & MOUNT_OPT_BIND) != 0;
  int src = bind ? bind_source(c, o) : -1;
  if (bind && src < 0) return -1;
  if (kind == MKDIR_AUTO) {
    struct stat st;
    kind = (bind && fstat(src, &st) == 0 && !S_ISDIR(st.st_mode)) ? MKDIR_FILE : MKDIR_DIR;
  }
  /* procfs and sysfs, and a procfs bound onto /proc */
  int kernelfs = (!bind && (strcmp(o->fstype, "proc") == 0 || strcmp(o->fstype, "sysfs") == 0)) || (o->options & MOUNT_OPT_PROC_SOURCE);
  const char *kind_name = bind ? "proc" : o->fstype;
  int fd;
  if (kernelfs) {
    /* a procfs or sysfs over a symlink would land wherever the rootfs
     * points it: these must be real directories all the way down, and a
     * link there is refused before anything is made at its target */
    fd = openat2_in_root_how(root_fd(c), o->target, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
    if (fd < 0 && errno == ENOENT) {
      fd = mkdir_in_root(c, o->target, 0755);
      if (fd >= 0) {
        close(fd);
        fd = openat2_in_root_how(root_fd(c), o->target, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
      }
    }
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)) {
      if (src >= 0) close(src);
      return fail(c, EINVAL, "destination %s: filesystem \"%s\" must be mounted on ordinary directory (a symlink is refused)", o->target, kind_name);
    }
  } else {
    fd = resolve_target(c, o->target, kind);
  }
  if (fd < 0) {
    int e = errno;
    if (src >= 0) close(src);
    return fail(c, e, "destination %s: resolve inside the rootfs", o->target);
  }
  char p[64], q[64];
  fdpath(fd, p, sizeof p);
  const char *data = *o->data ? o->data : NULL;
  int copyup = !bind && (o->options & MOUNT_OPT_TMPCOPYUP);
  /* the directory the tmpfs will cover, still reachable through this fd */
  int below = copyup ? open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (copyup && below < 0) {
    int e = errno;
    close(fd);
    return fail(c, e, "destination %s: tmpcopyup: open the directory", o->target);
  }
  int r;
  if (bind) {
    r = mount(fdpath(src, q, sizeof q), p, NULL, MS_BIND | (o->flags & MS_REC), NULL);
  } else {
    /* a read-only tmpfs comes without MS_RDONLY: the plan remounts it after
     * the pivot (remount_ro), once filled and once /dev is made */
    r = mount(o->source, p, o->fstype, o->flags & ~(unsigned long)(MS_BIND | MS_REC), data);
    if (r < 0 && errno == EPERM && strcmp(o->fstype, "sysfs") == 0) {
      /* sysfs needs the network namespace's owner; in a user namespace bind the host's */
      r = mount("/sys", p, NULL, MS_BIND | MS_REC, NULL);
      bind = 1;
    }
  }
  int e = errno;
  close(fd);
  if (src >= 0) close(src);
  if (r < 0) {
    if (below >= 0) close(below);
    if (bind) return fail(c, e, "destination %s: bind %s", o->target, o->source);
    return fail(c, e, "destination %s: mount %s", o->target, o->fstype);
  }
  if (copyup) {
    fd = resolve_target(c, o->target, MKDIR_NONE);
    int top = fd < 0 ? -1 : open(fdpath(fd, p, sizeof p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    r = top < 0 ? -1 : copy_tree(below, top, 0);
    e = errno;
    if (top >= 0) close(top);
    close(below);
    if (fd >= 0) close(fd);
    if (r < 0) return fail(c, e, "destination %s: tmpcopyup: copy the contents", o->target);
  }
  if (bind && (o->flags & ~(unsigned long)(MS_BIND | MS_REC)) && remount_target(c, o->target, o->flags) < 0) return -1;
  if (o->propagation) {
    fd = resolve_target(c, o->target, MKDIR_NONE);
    if (fd < 0) return fail(c, errno, "destination %s: reopen", o->target);
    r = mount(NULL, fdpath(fd, p, sizeof p), NULL, o->propagation, NULL);
    e = errno;
    close(fd);
    if (r < 0) return fail(c, e, "destination %s: set propagation", o->target);
  }
  return 0;
}

int op_mount_attr(struct ctx *c, const struct op_mount_attr *o) {
  int fd = resolve_target(c, o->target, MKDIR_NONE);
  if (fd < 0) return fail(c, errno, "destination %s: reopen", o->target);
  struct mount_attr a = {.attr_set = o->attr_set, .attr_clr = o->attr_clr};
  long r = syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a);
  int e = errno;
  close(fd);
  if (r < 0 && e == ENOSYS) return fail(c, e, "destination %s: recursive mount options need mount_setattr (kernel 5.12)", o->target);
  return r < 0 ? fail(c, e, "destination %s: set recursive mount attributes", o->target) : 0;
}

int op_cgroup_v1_binds(struct ctx *c, const struct op_cgroup_v1_binds *o) {
  char p[64], sub[4200];
  unsigned long base = o->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  int fd = resolve_target(c, o->target, MKDIR_DIR);
  if (fd < 0) return fail(c, errno, "mount cgroup on %s: resolve target", o->target);
  int r = mount("tmpfs", fdpath(fd, p, sizeof p), "tmpfs", base, "mode=755");
  int e = errno;
  close(fd);
  if (r < 0) return fail(c, e, "mount tmpfs for cgroups on %s", o->target);
  if (o->sources.n != o->names.n) return fail(c, EINVAL, "cgroup binds: %u sources, %u names", o->sources.n, o->names.n);
  for (uint32_t i = 0; i < o->sources.n; i++) {
    snprintf(sub, sizeof sub, "%s/%s", o->target, o->names.v[i]);
    struct op_mount m = {.source = o->sources.v[i], .target = sub, .fstype = "", .flags = MS_BIND | MS_REC | o->flags,
                         .data = "", .propagation = 0, .mkdir = MKDIR_DIR, .options = MOUNT_OPT_BIND};
    if (op_mount(c, &m) < 0) return -1;
  }
  if (o->flags & MS_RDONLY) {
    fd = resolve_target(c, o->target, MKDIR_NONE);
    if (fd < 0) return fail(c, errno, "reopen %s", o->target);
    r = mount(NULL, fdpath(fd, p, sizeof p), NULL, MS_REMOUNT | MS_RDONLY | base, "mode=755");
    e = errno;
    close(fd);
    if (r < 0) return fail(c, e, "remount %s read-only", o->target);
  }
  return 0;
}

static int is_node(const struct stat *st, uint32_t type, dev_t dev) {
  return (st->st_mode & S_IFMT) == type && st->st_rdev == dev;
}

/* Search a host directory (and its subdirectories, `depth` levels) for a
 * node of this device; returns an O_PATH fd of it. */
static int find_node(int dir, uint32_t type, dev_t dev, int depth) {
  int dup_fd = dup(dir);
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d) {
    if (dup_fd >= 0) close(dup_fd);
    return -1;
  }
  int found = -1;
  struct dirent *de;
  struct stat st;
  while (found < 0 && (de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (is_node(&st, type, dev)) {
      int fd = openat(dir, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      /* re-checked on the fd: the name may have changed since the stat */
      if (fd >= 0 && fstat(fd, &st) == 0 && is_node(&st, type, dev)) found = fd;
      else if (fd >= 0) close(fd);
    } else if (S_ISDIR(st.st_mode) && depth > 0) {
      int sub = openat(dir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        found = find_node(sub, type, dev, depth - 1);
        close(sub);
      }
    }
  }
  closedir(d);
  return found;
}

/* The host's node for this device, as an O_PATH fd: the one at the same path
 * when it really is that device, else one found under the host's /dev. A
 * path is never trusted by name alone: a host node of another device there
 * must not be handed to the container. */
static int host_node(const char *path, uint32_t type, dev_t dev) {
  struct stat st;
  int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && fstat(fd, &st) == 0 && is_node(&st, type, dev)) return fd;
  if (fd >= 0) close(fd);
  int top = open("/dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (top < 0) return -1;
  fd = find_node(top, type, dev, 2);
  close(top);
  if (fd < 0) errno = ENOENT;
  return fd;
}

int op_mknod(struct ctx *c, const struct op_mknod *o) {
  char buf[4096];
  const char *name;
  int dfd = parent_dir(c, o->path, &name, buf, sizeof buf);
  if (dfd < 0) return fail(c, errno, "mknod %s: parent directory", o->path);
  int r = mknodat(dfd, name, o->type | (o->mode & 07777), makedev(o->major, o->minor));
  if (r < 0 && errno == EEXIST) {
    /* something is there already: fine if it is this very device (an image's
     * own /dev), an error otherwise (config.md: a file that does not match
     * the requested device); never replaced, never followed */
    struct stat st;
    int same = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == o->type &&
               (o->type == S_IFIFO || st.st_rdev == makedev(o->major, o->minor));
    if (!same) {
      close(dfd);
      return fail(c, EEXIST, "device %s: the path exists and is not the requested device", o->path);
    }
    if (fchmodat(dfd, name, o->mode & 07777, 0) < 0) {
      int e = errno;
      close(dfd);
      return fail(c, e, "chmod %s", o->path);
    }
    r = 0;
  }
  if (r < 0 && errno == EPERM && o->bind_fallback) {
    /* no mknod in a user namespace: bind the host's node of the same device
     * over an empty file */
    dev_t dev = makedev(o->major, o->minor);
    int host = host_node(o->path, o->type, dev);
    if (host < 0) {
      close(dfd);
      return fail(c, ENOENT, "device %s (%c %u:%u): mknod is not allowed in a user namespace and the host has no such node to bind",
                  o->path, o->type == S_IFBLK ? 'b' : o->type == S_IFIFO ? 'p' : 'c', o->major, o->minor);
    }
    int f = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0 && errno == ELOOP && unlinkat(dfd, name, 0) == 0) f = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0) {
      int e = errno;
      close(host);
      close(dfd);
      return fail(c, e, "create %s", o->path);
    }
    close(f);
    int t = openat2_in_root(root_fd(c), o->path, O_PATH);
    if (t < 0) {
      int e = errno;
      close(host);
      close(dfd);
      return fail(c, e, "reopen %s", o->path);
    }
    char p[64], q[64];
    r = mount(fdpath(host, q, sizeof q), fdpath(t, p, sizeof p), NULL, MS_BIND, NULL);
    int e = errno;
    close(host);
    close(t);
    close(dfd);
    return r < 0 ? fail(c, e, "bind host device %s", o->path) : 0;
  }
  if (r < 0) {
    int e = errno;
    close(dfd);
    return fail(c, e, "mknod %s", o->path);
  }
  if (fchownat(dfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0) {
    int e = errno;
    close(dfd);
    return fail(c, e, "chown %s", o->path);
  }
  close(dfd);
  return 0;
}

int op_symlink(struct ctx *c, const struct op_symlink *o) {
  char buf[4096];
  const char *name;
  int dfd = parent_dir(c, o->path, &name, buf, sizeof buf);
  if (dfd < 0) return fail(c, errno, "symlink %s: parent directory", o->path);
  int r = symlinkat(o->target, dfd, name);
  int e = errno;
  close(dfd);
  if (r < 0 && e != EEXIST) return fail(c, e, "symlink %s -> %s", o->path, o->target);
  return 0;
}

int op_mkdir(struct ctx *c, const struct op_mkdir *o) {
  int fd = mkdir_in_root(c, o->path, o->mode);
  if (fd < 0) return fail(c, errno, "mkdir %s", o->path);
  close(fd);
  return 0;
}

/* A mountinfo field with its octal escapes (\040 and the like) undone, in place. */
static void unescape_mountinfo(char *s) {
  char *w = s;
  for (char *r = s; *r; w++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w = *r++;
    }
  }
  *w = 0;
}

/* Without pivot_root the host's mounts stay in the container's mount
 * namespace, only hidden by the chroot. The kernel lets a user namespace
 * mount a fresh procfs or sysfs when the namespace holds a full one with
 * nothing locked over it: the host's /proc and /sys are that, and a new
 * procfs would show what maskedPaths hide. So, before the move, every full
 * procfs or sysfs mount outside the rootfs is detached, or, where that is
 * refused (locked in a user namespace), covered with a tmpfs: runc's
 * msMoveRoot. */
static int hide_host_kernelfs(struct ctx *c) {
  char p[64], root[4096];
  ssize_t rn = readlink(fdpath(c->root_fd, p, sizeof p), root, sizeof root - 1);
  if (rn < 0) return fail(c, errno, "read the rootfs path");
  root[rn] = 0;
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return fail(c, errno, "open /proc/self/mountinfo");
  /* read it all first: the mount table changes as we go */
  size_t cap = 0, n = 0;
  char **points = NULL, *line = NULL;
  size_t llen = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &llen, f) > 0) {
    char mroot[4096], point[4096], fstype[256];
    const char *dash = strstr(line, " - ");
    if (!dash || sscanf(line, "%*u %*u %*s %4095s %4095s", mroot, point) != 2 || sscanf(dash + 3, "%255s", fstype) != 1) continue;
    if (strcmp(mroot, "/") != 0 || (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0)) continue;
    unescape_mountinfo(point);
    size_t k = strlen(root);
    if (strncmp(point, root, k) == 0 && (point[k] == 0 || point[k] == '/' || k == 1)) continue;
    if (n == cap) {
      char **more = realloc(points, (cap = cap ? cap * 2 : 8) * sizeof *points);
      if (!more) rc = fail(c, ENOMEM, "read /proc/self/mountinfo");
      else points = more;
    }
    if (rc == 0 && !(points[n++] = strdup(point))) rc = fail(c, ENOMEM, "read /proc/self/mountinfo");
  }
  free(line);
  fclose(f);
  for (size_t i = 0; i < n && rc == 0; i++) {
    const char *mp = points[i];
    /* the unmount must not reach the host */
    if (mount(NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
      if (errno == ENOENT) continue; /* under one already detached */
      rc = fail(c, errno, "hide the host's %s: make it slave", mp);
    } else if (umount2(mp, MNT_DETACH) < 0) {
      if (errno != EINVAL && errno != EPERM) rc = fail(c, errno, "hide the host's %s: unmount", mp);
      else if (mount("tmpfs", mp, "tmpfs", 0, NULL) < 0) rc = fail(c, errno, "hide the host's %s: cover it with a tmpfs", mp);
    }
  }
  for (size_t i = 0; i < n; i++) free(points[i]);
  free(points);
  return rc;
}

int op_pivot_root(struct ctx *c, const struct op_pivot_root *o) {
  char p[64];
  if (c->root_fd < 0) return fail(c, EINVAL, "pivot_root without a rootfs op");
  int newroot = open(fdpath(c->root_fd, p, sizeof p), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0) return fail(c, errno, "open rootfs");
  if (fchdir(newroot) < 0) return fail(c, errno, "chdir rootfs");
  if (o->no_pivot) {
    if (hide_host_kernelfs(c) < 0) return -1;
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) return fail(c, errno, "move rootfs onto /");
    if (chroot(".") < 0) return fail(c, errno, "chroot");
  } else {
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0) return fail(c, errno, "open /");
    /* pivot_root(".", ".") stacks the old root under the new one; then detach it */
    if (syscall(SYS_pivot_root, ".", ".") < 0) return fail(c, errno, "pivot_root");
    if (fchdir(oldroot) < 0) return fail(c, errno, "chdir old root");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) return fail(c, errno, "make old root slave");
    if (umount2(".", MNT_DETACH) < 0) return fail(c, errno, "detach old root");
    close(oldroot);
  }
  close(newroot);
  if (chdir("/") < 0) return fail(c, errno, "chdir /");
  if (o->propagation && mount(NULL, "/", NULL, o->propagation, NULL) < 0)
    return fail(c, errno, "set rootfs propagation");
  close(c->root_fd);
  c->root_fd = -1;
  c->pivoted = 1;
  return 0;
}

int op_remount_ro(struct ctx *c, const struct op_remount_ro *o) {
  char p[64];
  int fd = resolve_target(c, o->path, MKDIR_NONE);
  if (fd < 0) return fail(c, errno, "remount %s read-only: resolve", o->path);
  unsigned long flags = current_flags(fdpath(fd, p, sizeof p)) | MS_RDONLY;
  int r = mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
  int e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "remount %s read-only", o->path) : 0;
}

/* Masked and read-only paths run after the pivot: a symlink among them is
 * followed as the container would follow it, inside its root (a link to a
 * "host" path names the container's own copy), like runc's plain paths. */
int op_mask_path(struct ctx *c, const struct op_mask_path *o) {
  char p[64], q[64];
  int fd = openat2_in_root(root_fd(c), o->path, O_PATH);
  if (fd < 0) return errno == ENOENT ? 0 : fail(c, errno, "mask %s", o->path);
  struct stat st;
  int r;
  if (fstat(fd, &st) < 0) {
    close(fd);
    return fail(c, errno, "stat %s", o->path);
  }
  if (S_ISDIR(st.st_mode)) {
    r = mount("tmpfs", fdpath(fd, p, sizeof p), "tmpfs", MS_RDONLY, NULL);
  } else {
    /* only the real /dev/null may cover it (CVE-2025-31133) */
    int null = open("/dev/null", O_PATH | O_CLOEXEC | O_NOFOLLOW);
    struct stat ns;
    if (null < 0 || fstat(null, &ns) < 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
      close(fd);
      return fail(c, EINVAL, "mask %s: /dev/null is not the null device", o->path);
    }
    r = mount(fdpath(null, q, sizeof q), fdpath(fd, p, sizeof p), NULL, MS_BIND, NULL);
    close(null);
  }
  int e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "mask %s", o->path) : 0;
}

int op_readonly_path(struct ctx *c, const struct op_readonly_path *o) {
  char p[64];
  int fd = openat2_in_root(root_fd(c), o->path, O_PATH);
  if (fd < 0) return errno == ENOENT ? 0 : fail(c, errno, "readonly %s", o->path);
  fdpath(fd, p, sizeof p);
  int r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
  int e = errno;
  close(fd);
  if (r < 0) return fail(c, e, "bind %s", o->path);
  fd = openat2_in_root(root_fd(c), o->path, O_PATH);
  if (fd < 0) return fail(c, errno, "reopen %s", o->path);
  /* read-only on top of what the path has; nothing else changes */
  r = remount_bind(fdpath(fd, p, sizeof p), MS_RDONLY | current_flags(p));
  e = errno;
  close(fd);
  return r < 0 ? fail(c, e, "remount %s read-only", o->path) : 0;
}

/* Writes under /proc (sysctls, the AppArmor exec attribute) go through a
 * procfs of our own, never a /proc the container could have replaced
 * (CVE-2025-52881). Where the kernel refuses a new one (no CAP_SYS_ADMIN
 * left, or a user namespace without a fully visible procfs), /proc, if it
 * is the root of a procfs; paths under it are then opened without
 * crossing a mount (open_in_procfs). Opened once and kept until execve. */
int procfs_handle(void) {
  static int mnt = -2;
  if (mnt != -2) return mnt;
  int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs >= 0) {
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
      mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    close(fs);
  }
  if (mnt >= 0) return mnt;
  int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct statfs sf;
  struct stat st;
  if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC || fstat(fd, &st) < 0 || st.st_ino != 1)) {
    close(fd);
    fd = -1;
    errno = EXDEV;
  }
  return mnt = fd;
}

/* A file under a procfs handle, no mount crossed on the way (a bind over
 * attr/exec or over a sysctl would take the write elsewhere), no magic
 * link followed, and a procfs file at the end. */
int open_in_procfs(int proc, const char *path, int flags) {
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS};
  int fd;
  do fd = (int)syscall(SYS_openat2, proc, path, &how, sizeof how);
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0 && errno == ENOSYS) fd = openat(proc, path, flags | O_CLOEXEC | O_NOFOLLOW);
  struct statfs sf;
  if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)) {
    close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}

int op_sysctl(struct ctx *c, const struct op_sysctl *o) {
  int proc = procfs_handle();
  if (proc < 0) return fail(c, errno, "open a procfs for sysctl %s", o->key);
  char path[4200];
  snprintf(path, sizeof path, "sys/%s", o->key);
  int fd = openat(proc, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fail(c, errno, "sysctl %s: open /proc/%s", o->key, path);
  size_t len = strlen(o->value);
  ssize_t n = write(fd, o->value, len);
  int e = errno;
  close(fd);
  if (n != (ssize_t)len) return fail(c, n < 0 ? e : EIO, "sysctl %s=%s", o->key, o->value);
  return 0;
}

int op_console(struct ctx *c, const struct op_console *o) {
  char p[64], q[64], name[64];
  if (c->console_fd < 0) return fail(c, EINVAL, "terminal requested but there is no console socket");
  int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return fail(c, errno, "open /dev/pts/ptmx");
  int unlock = 0;
  unsigned ptn = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) return fail(c, errno, "unlockpt");
  if (ioctl(master, TIOCGPTN, &ptn) < 0) return fail(c, errno, "ptsname");
  snprintf(name, sizeof name, "/dev/pts/%u", ptn);
  int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0) return fail(c, errno, "open the pty peer");
  if (o->rows || o->cols) {
    struct winsize ws = {.ws_row = (unsigned short)o->rows, .ws_col = (unsigned short)o->cols};
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) return fail(c, errno, "set the console size");
  }
  /* /dev/console is the peer, bound by fd (CVE-2025-52565) */
  int con = o->bind_console ? resolve_target(c, "/dev/console", MKDIR_FILE) : -1;
  if (con >= 0) {
    if (mount(fdpath(peer, q, sizeof q), fdpath(con, p, sizeof p), NULL, MS_BIND, NULL) < 0)
      report_warning(c, "bind /dev/console: %s", strerror(errno));
    close(con);
  }
  if (send_fd(c->console_fd, master, name) < 0) return fail(c, errno, "send the pty master to the console socket");
  close(master);
  close(c->console_fd);
  c->console_fd = -1;
  for (int i = 0; i < 3; i++)
    if (dup2(peer, i) < 0) return fail(c, errno, "dup the pty onto stdio");
  close(peer);
  if (ioctl(0, TIOCSCTTY, 0) < 0) return fail(c, errno, "make the pty the controlling terminal");
  return 0;
}

/* ---- idmapped mounts
 * Setting MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN over the filesystem's user
 * namespace (the host's, for host filesystems): stage 0 makes the idmapped
 * clone with host credentials before the clone, the child inherits the fd
 * and moves it onto its target inside the root. */

static int write_file_at(pid_t pid, const char *name, const char *text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  return write_file(path, text);
}

/* A user namespace with these maps, as an fd: a short-lived helper process
 * unshares it, we write its maps from outside and keep its ns file. */
static int userns_with_maps(const char *uid_map, const char *gid_map) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(go[0]);
    close(go[1]);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    close(go[1]);
    char b;
    if (unshare(CLONE_NEWUSER) < 0) _exit(1);
    /* stay until the parent has our ns file and closes its end */
    (void)!read(go[0], &b, 1);
    _exit(0);
  }
  close(go[0]);
  /* wait until the helper is in its own user namespace */
  char self[64], child[64], ns[64];
  ssize_t a = readlink("/proc/self/ns/user", self, sizeof self - 1);
  int fd = -1, e = 0;
  for (int tries = 0; tries < 2000; tries++) {
    snprintf(ns, sizeof ns, "/proc/%d/ns/user", (int)pid);
    ssize_t b = readlink(ns, child, sizeof child - 1);
    if (a > 0 && b > 0 && (a != b || memcmp(self, child, (size_t)a) != 0)) break;
    usleep(500);
  }
  if (write_file_at(pid, "uid_map", uid_map) < 0 || write_file_at(pid, "gid_map", gid_map) < 0) e = errno;
  else {
    fd = open(ns, O_RDONLY | O_CLOEXEC);
    if (fd < 0) e = errno;
  }
  close(go[1]); /* the helper's read returns: it exits */
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  if (fd < 0) errno = e;
  return fd;
}

int idmap_prepare(struct ctx *c, const struct op_mount_idmap *o) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o->recursive ? AT_RECURSIVE : 0);
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, o->source, flags);
  if (tree < 0) return fail(c, errno, "destination %s: clone %s for an idmapped mount", o->target, o->source);
  int userns = userns_with_maps(o->uid_map, o->gid_map);
  if (userns < 0) {
    int e = errno;
    close(tree);
    return fail(c, e, "destination %s: make the user namespace of the idmapped mount", o->target);
  }
  struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
  long r = syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (o->recursive ? AT_RECURSIVE : 0), &a, sizeof a);
  int e = errno;
  close(userns);
  if (r < 0) {
    close(tree);
    if (e == EINVAL || e == EPERM || e == ENOSYS)
      return fail(c, e, "destination %s: the filesystem of %s cannot be idmapped here (kernel or filesystem without idmapped mount support)", o->target, o->source);
    return fail(c, e, "destination %s: idmap %s", o->target, o->source);
  }
  return tree;
}

int op_mount_idmap(struct ctx *c, const struct op_mount_idmap *o, int tree) {
  if (tree < 0) return fail(c, EBADF, "destination %s: no idmapped mount was prepared", o->target);
  int kind = (int)o->mkdir;
  if (kind == MKDIR_AUTO) {
    struct stat st;
    kind = fstat(tree, &st) == 0 && !S_ISDIR(st.st_mode) ? MKDIR_FILE : MKDIR_DIR;
  }
  int fd = resolve_target(c, o->target, kind);
  if (fd < 0) return fail(c, errno, "destination %s: resolve inside the rootfs", o->target);
  long r = syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  int e = errno;
  close(fd);
  close(tree);
  if (r < 0) return fail(c, e, "destination %s: move the idmapped mount of %s", o->target, o->source);
  if (o->flags && remount_target(c, o->target, o->flags) < 0) return -1;
  return 0;
}
