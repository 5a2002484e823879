/*
 * bin/tsrun: the launcher that engines exec (dockerd --add-runtime, the
 * containerd shim, conmon). It finds dist/tsrun.cjs next to itself and execs
 * Node with a clean environment. A shell script would cost ~2 ms of a ~20 ms
 * start; this costs well under one.
 *
 * Dropped: NODE_OPTIONS (a caller's flags must not change how we run) and
 * NODE_EXTRA_CA_CERTS (+50 ms per start; tsrun makes no TLS connections).
 * --no-warnings: Node's warnings would land in the container's stderr.
 * --preserve-symlinks-main: the script's path comes from /proc/self/exe,
 * which has no symlinks left, so Node's realpath walk over it (an lstat per
 * component, in JS) is skipped (-0.3 ms a call).
 *
 * For create, run and exec it also starts the executor (native/build/
 * tsrun-exec) before Node, joined to Node by a socketpair whose fd number it
 * passes in TSRUN_EXEC_FD: the executor seals and re-execs itself and warms
 * the kernel's cgroup migration lock while Node boots (~20 ms), so none of
 * that is on create's critical path. An argv that merely mentions one of the
 * three words (a container named "run") costs one idle executor, which exits
 * when Node closes its end; Node spawns one itself when the fd is missing.
 *
 * Before all that, `state`, `kill`, `start` and `delete` of a container
 * whose fast form says how are done here, without Node (fastpath.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fastpath.h"

#ifndef NODE_BIN
#define NODE_BIN "/usr/bin/node"
#endif

extern char **environ;

static int dropped(const char *kv)
{
	return !strncmp(kv, "NODE_OPTIONS=", 13) || !strncmp(kv, "NODE_EXTRA_CA_CERTS=", 20) ||
	       !strncmp(kv, "TSRUN_EXEC_FD=", 14);
}

static int needs_executor(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "create") || !strcmp(argv[i], "run") || !strcmp(argv[i], "exec"))
			return 1;
	return 0;
}

/*
 * Fork the executor with the caller's fds (what Node would hand it: stdio,
 * preserved fds; it drops the rest once the plan says how many it keeps).
 * Returns Node's end of the sync socket, or -1: Node then spawns it itself.
 */
static int start_executor(const char *root)
{
	char exe[PATH_MAX + 32], fdarg[16];
	snprintf(exe, sizeof(exe), "%s/native/build/tsrun-exec", root);
	if (access(exe, X_OK) < 0)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
		char *args[] = {"tsrun-exec", fdarg, "warm", NULL};
		fcntl(sv[1], F_SETFD, 0);
		execve(exe, args, environ);
		_exit(127);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFD, 0); /* Node's end must survive its execve */
	return sv[0];
}

int main(int argc, char **argv)
{
	int fast = fastpath(argc, argv);
	if (fast >= 0)
		return fast;
	char self[PATH_MAX], script[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("tsrun: readlink /proc/self/exe");
		return 1;
	}
	self[n] = 0;
	char *slash = strrchr(self, '/');
	*slash = 0; /* .../bin */
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0; /* the package root */
	/* create, run and exec start dist/tsrun.cjs through a loader that gives
	 * it a code cache (src/main-cached.ts): they load node:vm anyway */
	int cached = needs_executor(argc, argv);
	snprintf(script, sizeof(script), "%s/dist/%s", self, cached ? "tsrun-cached.cjs" : "tsrun.cjs");

	size_t envc = 0, keep = 0;
	while (environ[envc])
		envc++;
	char **env = calloc(envc + 2, sizeof(char *));
	for (size_t i = 0; i < envc; i++)
		if (!dropped(environ[i]))
			env[keep++] = environ[i];
	char fdenv[32];
	if (cached) {
		int fd = start_executor(self);
		if (fd >= 0) {
			snprintf(fdenv, sizeof(fdenv), "TSRUN_EXEC_FD=%d", fd);
			env[keep++] = fdenv;
		}
	}

	char **args = calloc(argc + 5, sizeof(char *));
	int a = 0;
	args[a++] = "node";
	args[a++] = "--no-warnings";
	args[a++] = "--preserve-symlinks-main";
	args[a++] = script;
	for (int i = 1; i < argc; i++)
		args[a++] = argv[i];

	const char *node = getenv("TSRUN_NODE");
	execve(node && *node ? node : NODE_BIN, args, env);
	fprintf(stderr, "tsrun: cannot exec node (%s): %s; set TSRUN_NODE or install nodejs\n",
		node && *node ? node : NODE_BIN, strerror(errno));
	return 127;
}
