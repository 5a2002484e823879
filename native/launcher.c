/*
 * bin/tsrun: the launcher that engines exec (dockerd --add-runtime, the
 * containerd shim, conmon). It finds dist/tsrun.cjs next to itself and execs
 * Node with a clean environment. A shell script would cost ~2 ms of a ~20 ms
 * start; this costs well under one.
 *
 * Dropped: NODE_OPTIONS (a caller's flags must not change how we run) and
 * NODE_EXTRA_CA_CERTS (+50 ms per start; tsrun makes no TLS connections).
 * --no-warnings: Node's warnings would land in the container's stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NODE_BIN
#define NODE_BIN "/usr/bin/node"
#endif

extern char **environ;

static int dropped(const char *kv)
{
	return !strncmp(kv, "NODE_OPTIONS=", 13) || !strncmp(kv, "NODE_EXTRA_CA_CERTS=", 20);
}

int main(int argc, char **argv)
{
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
	snprintf(script, sizeof(script), "%s/dist/tsrun.cjs", self);

	size_t envc = 0, keep = 0;
	while (environ[envc])
		envc++;
	char **env = calloc(envc + 1, sizeof(char *));
	for (size_t i = 0; i < envc; i++)
		if (!dropped(environ[i]))
			env[keep++] = environ[i];

	char **args = calloc(argc + 4, sizeof(char *));
	int a = 0;
	args[a++] = "node";
	args[a++] = "--no-warnings";
	args[a++] = script;
	for (int i = 1; i < argc; i++)
		args[a++] = argv[i];

	const char *node = getenv("TSRUN_NODE");
	execve(node && *node ? node : NODE_BIN, args, env);
	fprintf(stderr, "tsrun: cannot exec node (%s): %s; set TSRUN_NODE or install nodejs\n",
		node && *node ? node : NODE_BIN, strerror(errno));
	return 127;
}
