/*
 * The bench's timing helper, built by bench/harness.mjs into its temp dir.
 *
 *   probe run PROG ARGS...
 *     fork+exec one command with stdio on /dev/null; print
 *     "<wall ms> <peak RSS KiB> <exit status>" (RSS: wait4's ru_maxrss of
 *     that child). Timing in C keeps node's spawn machinery out of the figure.
 *
 *   probe cycle ID BUNDLE PIDFILE RUNTIME-ARGV...
 *     the create+start+wait+delete of one container as containerd's shim
 *     drives it: this process is a child subreaper, so the container's init
 *     is reparented to it when `create` returns; it runs `create --pid-file`,
 *     `start`, reaps the init itself (no `state` polling), then `delete`.
 *     Prints the same three fields (RSS: the largest of the CLI calls; status:
 *     the first failing call's, else the init's exit status).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long peak_kib;

/* Runs argv to completion; returns its exit status (128+signal when killed). */
static int run(char **argv) {
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  for (;;) {
    int st;
    struct rusage ru;
    pid_t got = wait4(pid, &st, 0, &ru);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return 127;
    if (ru.ru_maxrss > peak_kib) peak_kib = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
}

/* RUNTIME-ARGV + extra words, NULL-terminated. */
static char **with(char **rt, int nrt, const char **extra, int nextra) {
  char **v = calloc(nrt + nextra + 1, sizeof *v);
  if (!v) exit(127);
  memcpy(v, rt, nrt * sizeof *v);
  for (int i = 0; i < nextra; i++) v[nrt + i] = (char *)extra[i];
  return v;
}

static int cycle(const char *id, const char *bundle, const char *pidfile, char **rt, int nrt) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return 126;
  const char *create[] = {"create", "--bundle", bundle, "--pid-file", pidfile, id};
  int status = run(with(rt, nrt, create, 6));
  if (status != 0) return status;
  char buf[32] = {0};
  int fd = open(pidfile, O_RDONLY);
  if (fd < 0) return 125;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  pid_t init = n > 0 ? (pid_t)atoi(buf) : 0;
  if (init <= 0) return 125;
  const char *start[] = {"start", id};
  status = run(with(rt, nrt, start, 2));
  if (status != 0) return status;
  /* The init is ours once create returned: reap children until it is among them. */
  int init_status = 124;
  for (;;) {
    int st;
    pid_t got = waitpid(-1, &st, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break; /* no children: not reparented to us (a runtime that keeps a monitor) */
    if (got == init) {
      init_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
  }
  const char *del[] = {"delete", id};
  status = run(with(rt, nrt, del, 2));
  return status != 0 ? status : init_status;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "run") == 0) {
    double t0 = now_ms();
    int status = run(argv + 2);
    printf("%.3f %ld %d\n", now_ms() - t0, peak_kib, status);
    return 0;
  }
  if (argc >= 6 && strcmp(argv[1], "cycle") == 0) {
    double t0 = now_ms();
    int status = cycle(argv[2], argv[3], argv[4], argv + 5, argc - 5);
    printf("%.3f %ld %d\n", now_ms() - t0, peak_kib, status);
    return 0;
  }
  fprintf(stderr, "usage: probe run PROG ARGS... | probe cycle ID BUNDLE PIDFILE RUNTIME-ARGV...\n");
  return 2;
}
