/* A foreground container with a terminal and no console socket (`tsrun run`
 * from a shell): stage 0 holds the pty master and copies between it and its
 * own stdio, in raw mode, resizing the pty with the caller's terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "exec.h"

int recv_fd(int sock) {
  char data[256];
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {data, sizeof data};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

static volatile sig_atomic_t winch = 1;
static void on_winch(int sig) {
  (void)sig;
  winch = 1;
}

static int copy(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN) ? 0 : -1;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(to, buf + off, (size_t)(n - off));
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    off += w;
  }
  return 0;
}

int proxy_tty(int master, pid_t child, int *status) {
  struct termios saved;
  int raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
  }
  struct sigaction sa = {.sa_handler = on_winch};
  sigaction(SIGWINCH, &sa, NULL);
  int in_open = 1;
  for (;;) {
    if (winch) {
      winch = 0;
      struct winsize ws;
      if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
    }
    struct pollfd p[2] = {{master, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};
    int r = poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (copy(master, 1) < 0) break; /* EIO: the last holder of the pty is gone */
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (copy(0, master) < 0) {
        /* our input ended: the container reads an end-of-file (^D) from its terminal */
        in_open = 0;
        struct termios t;
        char eof = tcgetattr(master, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
        if (write(master, &eof, 1) < 0) { /* the pty is gone: the loop ends on the master */ }
      }
    }
  }
  if (raw) tcsetattr(0, TCSANOW, &saved);
  close(master);
  while (waitpid(child, status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return 0;
}
