/* The sync socket: frames of {u32 body length, u16 type, u16 0, body}, and
 * the one way this program fails: fail() records {errno, message} for the op
 * being run, report_error() sends it to the runtime (or stderr once the
 * socket is closed). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "exec.h"

static int write_all(int fd, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t len) {
  uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) {
      errno = EPIPE;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int sync_send(int fd, uint16_t type, const void *body, uint32_t len) {
  uint8_t hdr[8];
  uint16_t zero = 0;
  memcpy(hdr, &len, 4);
  memcpy(hdr + 4, &type, 2);
  memcpy(hdr + 6, &zero, 2);
  if (fd < 0) return -1;
  if (write_all(fd, hdr, 8) < 0) return -1;
  return len ? write_all(fd, body, len) : 0;
}

int sync_recv(int fd, uint16_t *type, uint8_t **body, uint32_t *len, uint32_t max) {
  uint8_t hdr[8];
  uint32_t n;
  if (read_all(fd, hdr, 8) < 0) return -1;
  memcpy(&n, hdr, 4);
  memcpy(type, hdr + 4, 2);
  if (n > max) {
    *len = n; /* for the caller's message: what was refused */
    errno = EMSGSIZE;
    return -1;
  }
  uint8_t *b = malloc((size_t)n + 1);
  if (!b) return -1;
  if (read_all(fd, b, n) < 0) {
    free(b);
    return -1;
  }
  b[n] = 0;
  *body = b;
  *len = n;
  return 0;
}

int fail(struct ctx *c, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
  va_end(ap);
  c->err_errno = err;
  return -1;
}

void report_error(struct ctx *c) {
  uint8_t buf[12 + sizeof c->err_msg];
  uint32_t stage = (uint32_t)c->stage;
  int32_t op = c->err_op, e = c->err_errno;
  size_t mlen = strnlen(c->err_msg, sizeof c->err_msg - 1);
  memcpy(buf, &stage, 4);
  memcpy(buf + 4, &op, 4);
  memcpy(buf + 8, &e, 4);
  memcpy(buf + 12, c->err_msg, mlen);
  if (sync_send(c->sync_fd, MSG_ERROR, buf, (uint32_t)(12 + mlen)) < 0) {
    /* nobody is listening any more: the container's stderr is all we have */
    dprintf(2, "tsrun: %s%s%s\n", c->err_msg, e ? ": " : "", e ? strerror(e) : "");
  }
}

void report_warning(struct ctx *c, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  sync_send(c->sync_fd, MSG_WARNING, msg, (uint32_t)n);
}

/* One sendmsg: the name as data (a stream socket needs at least one byte)
 * and exactly one fd, as go-runc's console socket reader expects. */
int send_fd(int sock, int fd, const char *name) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  const char *data = name && *name ? name : "/";
  struct iovec iov = {(void *)data, strlen(data)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}
