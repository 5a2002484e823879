/*
 * seccomp-listener: stands in for a seccomp agent (linux.seccomp.listenerPath).
 * Accepts one connection on a unix stream socket, receives the container
 * process state and the file descriptors sent with it (SCM_RIGHTS), and
 * writes "fds <n>\n<state JSON>" to OUTFILE. Gives up after 30 seconds.
 *
 * Usage: seccomp-listener SOCKET OUTFILE
 *
 * With --console first it stands in for a --console-socket receiver instead:
 * it takes the pty master sent by the runtime and copies everything the
 * container writes to its terminal into OUTFILE until the terminal closes.
 *
 * Usage: seccomp-listener --console SOCKET OUTFILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Copy the pty master to OUTFILE until the container side closes (EIO). */
static int copy_console(int master, const char *outfile)
{
	int out = open(outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		perror("open");
		return 1;
	}
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(out, buf, (size_t)n) != n) {
			perror("write");
			return 1;
		}
	}
	close(out);
	return 0;
}

int main(int argc, char **argv)
{
	int console = argc == 4 && strcmp(argv[1], "--console") == 0;
	if (console) {
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s [--console] SOCKET OUTFILE\n", argv[0]);
		return 2;
	}
	alarm(30);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (s < 0 || strlen(argv[1]) >= sizeof sa.sun_path) {
		perror("socket");
		return 1;
	}
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 1) < 0) {
		perror("bind/listen");
		return 1;
	}
	int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		perror("accept");
		return 1;
	}
	static char data[65536];
	size_t len = 0;
	int nfds = 0;
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int) * 16)];
		struct iovec iov = {.iov_base = data + len, .iov_len = sizeof data - 1 - len};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("recvmsg");
			return 1;
		}
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
				int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				int *fds = (int *)CMSG_DATA(cm);
				if (console && k > 0) {
					close(c);
					for (int i = 1; i < k; i++)
						close(fds[i]);
					return copy_console(fds[0], argv[2]);
				}
				for (int i = 0; i < k; i++)
					close(fds[i]); /* closing the notify fd lets blocked syscalls fail */
				nfds += k;
			}
		}
		len += (size_t)n;
		if (n == 0 || len >= sizeof data - 1)
			break;
	}
	data[len] = 0;
	FILE *f = fopen(argv[2], "w");
	if (!f) {
		perror("fopen");
		return 1;
	}
	fprintf(f, "fds %d\n%s", nfds, data);
	fclose(f);
	return 0;
}
