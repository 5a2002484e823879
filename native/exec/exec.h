/* tsrun-exec: carries out a plan compiled by the TypeScript side. No policy
 * lives here: every op either succeeds or fails with {op index, errno,
 * message}, which goes back to the runtime over the sync socket. */
#ifndef TSRUN_EXEC_H
#define TSRUN_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ops.h"

#define PLAN_HEADER_SIZE 24
#define PLAN_FLAG_MONITOR 1u /* stage 0 waits for the child and reports its exit */
#define PLAN_FLAG_PROXY_TTY 2u /* stage 0 gets the pty master itself and copies it to/from its stdio */
#define MAX_PLAN_SIZE (16u << 20)
/* GO carries the state (annotations included) once, twice with a seccomp
 * listener: room for two records of a config at its cap (src/spec/bundle.ts) */
#define MAX_MSG_SIZE (64u << 20)

struct plan {
  uint32_t flags;
  uint32_t nops;
  struct op *ops;
};

struct ctx {
  int stage;
  int sync_fd;
  int fifo_fd;
  int console_fd;
  int pidfd_sock;
  int listener_fd;       /* connected to linux.seccomp.listenerPath */
  int sources_fd;        /* stage 0 -> child: mount sources opened by mount_sources, in op order */
  int clone_cgroup;      /* cgroup_clone: the cgroup v2 directory the child is cloned into */
  char *seccomp_state;   /* container process state for the listener (from GO) */
  int root_fd;           /* O_PATH of the rootfs, until pivot */
  int pivoted;
  int keep_dumpable;     /* the child of an unprivileged caller stays dumpable (child_main) */
  pid_t child;
  int *ns_fds;            /* per op index: files opened before any setns (namespaces, cgroup.procs) */
  const struct plan *plan;
  char *state_json;      /* from the runtime's GO message, for hooks */
  size_t state_len;
  char *exec_path;       /* resolved by lookup_exec */
  char *home;            /* "HOME=..." from home_env, for the exec and hooks given the process environment */
  /* the failure being reported */
  int err_op;
  int err_errno;
  char err_msg[1024];
};

/* plan.c: the TLV reader of the plan and of the fast form (native/fastpath.c) */
struct tlv_schema {
  const char *what;
  uint32_t magic;
  uint16_t version;
  uint32_t build;
  uint16_t ncodes;
  const struct op_desc *descs;
  size_t rec_size; /* each record: u16 code, u8 stage, then its fields at `body` */
  size_t body;
};
int tlv_decode(const struct tlv_schema *s, const uint8_t *buf, size_t len, uint32_t *flags, uint32_t *n, void **recs,
               char *err, size_t errlen);
int plan_decode(const uint8_t *buf, size_t len, struct plan *out, char *err, size_t errlen);

/* sync.c */
int sync_send(int fd, uint16_t type, const void *body, uint32_t len);
int sync_recv(int fd, uint16_t *type, uint8_t **body, uint32_t *len, uint32_t max);
void report_error(struct ctx *c);
void report_warning(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fail(struct ctx *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int send_fd(int sock, int fd, const char *name);
int write_file(const char *path, const char *data);

/* ops: each returns 0, or -1 after fail() */
int run_pre_op(struct ctx *c, const struct op *op);
int join_opened_ns(struct ctx *c, uint32_t nstype, const char *path);
int run_parent_op(struct ctx *c, const struct op *op);
int run_child_op(struct ctx *c, const struct op *op);

/* rootfs.c */
int op_propagation(struct ctx *c, const struct op_propagation *o);
int op_rootfs(struct ctx *c, const struct op_rootfs *o);
int op_mount(struct ctx *c, const struct op_mount *o);
/* stage 0, after the clone */
int op_mount_sources(struct ctx *c);
int op_cgroup_v1_binds(struct ctx *c, const struct op_cgroup_v1_binds *o);
int op_mknod(struct ctx *c, const struct op_mknod *o);
int op_symlink(struct ctx *c, const struct op_symlink *o);
int op_mkdir(struct ctx *c, const struct op_mkdir *o);
int op_pivot_root(struct ctx *c, const struct op_pivot_root *o);
int op_remount_ro(struct ctx *c, const struct op_remount_ro *o);
int op_mask_path(struct ctx *c, const struct op_mask_path *o);
int op_readonly_path(struct ctx *c, const struct op_readonly_path *o);
int op_mount_attr(struct ctx *c, const struct op_mount_attr *o);
/* stage 0, before the clone: returns the fd of the idmapped clone (kept in ns_fds[op index]) */
int idmap_prepare(struct ctx *c, const struct op_mount_idmap *o);
int op_mount_idmap(struct ctx *c, const struct op_mount_idmap *o, int tree);
int op_sysctl(struct ctx *c, const struct op_sysctl *o);
int procfs_handle(void);
int open_in_procfs(int proc, const char *path, int flags);
int op_console(struct ctx *c, const struct op_console *o);

/* tty.c */
int proxy_tty(int master, pid_t child, int *status);
int recv_fd(int sock);

/* process.c */
int op_user(struct ctx *c, const struct op_user *o);
int op_caps_bounding(struct ctx *c, const struct op_caps_bounding *o);
int op_caps(struct ctx *c, const struct op_caps *o);
int op_scheduler(struct ctx *c, const struct op_scheduler *o);
int op_lookup_exec(struct ctx *c, const struct op_lookup_exec *o);
int op_chdir(struct ctx *c, const struct op_chdir *o);
int op_hook(struct ctx *c, const struct op_hook *o);
int op_wait_start(struct ctx *c);
int op_exec(struct ctx *c, const struct op_exec *o);
int op_seccomp(struct ctx *c, const struct op_seccomp *o);
int op_apparmor(struct ctx *c, const struct op_apparmor *o);

#endif
