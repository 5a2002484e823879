/*
 * conformance-checker: runs inside a container and reports, as TAP, whether
 * what the process sees matches what the bundle's config.json asks for.
 *
 * It does not parse JSON. The runner (conformance/lib/expect.mjs) digests the
 * config into one probe per line, so this program stays small, static and
 * easy to trust: each line is
 *
 *     <probe> TAB <check name> TAB <arg> TAB <arg> ...
 *
 * with "\t", "\n" and "\\" escaped inside fields. Every probe computes a
 * string ("got") from the kernel's point of view and compares it with the
 * wanted string; most probes end in a plain string compare, so the runner
 * decides the expected value and this file only observes.
 *
 * Usage: conformance-checker /path/to/expectations
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_ARGS 16
#define GOT_LEN 4096

static char got[GOT_LEN];

static void setgot(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(got, sizeof got, fmt, ap);
	va_end(ap);
}

static void errgot(const char *what)
{
	setgot("%s: E%d (%s)", what, errno, strerror(errno));
}

/* Read a whole small file into buf (NUL-terminated); returns length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	close(fd);
	return (ssize_t)n;
}

/* Collapse runs of whitespace to one space and trim both ends, in place. */
static void squash(char *s)
{
	char *w = s;
	int space = 0;
	for (char *r = s; *r; r++) {
		if (isspace((unsigned char)*r)) {
			space = 1;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = 0;
}

/* Value of "Key:" in /proc/self/status, whitespace-squashed. */
static int status_field(const char *key, char *out, size_t cap)
{
	static char buf[16384];
	if (slurp("/proc/self/status", buf, sizeof buf) < 0)
		return -1;
	size_t klen = strlen(key);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			snprintf(out, cap, "%s", line + klen + 1);
			squash(out);
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

/* ---- mountinfo ---------------------------------------------------------- */

struct mnt {
	char point[1024];
	char root[1024];
	char opts[1024];   /* per-mount options */
	char fstype[128];
	char source[1024];
	char super[2048];  /* superblock options */
	char optional[512]; /* shared:N master:N unbindable ... */
};

static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

/* Parse one mountinfo line; returns 0 on success. */
static int parse_mountinfo_line(char *line, struct mnt *m)
{
	char *f[64];
	int n = 0;
	for (char *t = strtok(line, " "); t && n < 64; t = strtok(NULL, " "))
		f[n++] = t;
	if (n < 10)
		return -1;
	snprintf(m->root, sizeof m->root, "%s", f[3]);
	snprintf(m->point, sizeof m->point, "%s", f[4]);
	snprintf(m->opts, sizeof m->opts, "%s", f[5]);
	unescape_octal(m->root);
	unescape_octal(m->point);
	m->optional[0] = 0;
	int i = 6;
	for (; i < n && strcmp(f[i], "-") != 0; i++) {
		size_t l = strlen(m->optional);
		snprintf(m->optional + l, sizeof m->optional - l, "%s%s", l ? " " : "", f[i]);
	}
	if (i + 2 >= n)
		return -1;
	snprintf(m->fstype, sizeof m->fstype, "%s", f[i + 1]);
	snprintf(m->source, sizeof m->source, "%s", f[i + 2]);
	snprintf(m->super, sizeof m->super, "%s", i + 3 < n ? f[i + 3] : "");
	return 0;
}

/* The topmost mount at `point` (the last one listed wins); 0 if found. */
static int find_mount(const char *point, struct mnt *out)
{
	static char buf[1 << 20];
	if (slurp("/proc/self/mountinfo", buf, sizeof buf) < 0)
		return -1;
	int found = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mnt m;
		if (parse_mountinfo_line(line, &m) == 0 && strcmp(m.point, point) == 0) {
			*out = m;
			found = 1;
		}
	}
	if (!found)
		errno = ENOENT;
	return found ? 0 : -1;
}

/* Does comma-separated `list` contain exactly `item`? */
static int list_has(const char *list, const char *item)
{
	size_t il = strlen(item);
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == il && strncmp(p, item, l) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/*
 * Propagation as the spec names it. A mount can be shared and a slave at once
 * ("shared:2 master:1"): it then counts as shared, not as a plain slave.
 */
static int propagation_is(const struct mnt *m, const char *want)
{
	int shared = strstr(m->optional, "shared:") != NULL;
	int slave = strstr(m->optional, "master:") != NULL;
	int unbindable = strstr(m->optional, "unbindable") != NULL;
	if (strcmp(want, "shared") == 0)
		return shared;
	if (strcmp(want, "slave") == 0)
		return slave && !shared;
	if (strcmp(want, "private") == 0)
		return !shared && !slave && !unbindable;
	if (strcmp(want, "unbindable") == 0)
		return unbindable;
	return 0;
}

/* ---- probes ------------------------------------------------------------- */

/* Each probe fills `got` and returns 1 when got matches what is wanted. */
typedef int (*probe_fn)(int argc, char **argv);

static int cmp_want(const char *want)
{
	return strcmp(got, want) == 0;
}

/* ns TYPE eq|ne INODE */
static int p_ns(int argc, char **argv)
{
	if (argc != 3)
		return setgot("bad args"), 0;
	char path[256];
	struct stat st;
	snprintf(path, sizeof path, "/proc/self/ns/%s", argv[0]);
	if (stat(path, &st) < 0)
		return errgot(path), 0;
	unsigned long long want = strtoull(argv[2], NULL, 10);
	setgot("inode %llu (host/target %llu)", (unsigned long long)st.st_ino, want);
	if (strcmp(argv[1], "eq") == 0)
		return st.st_ino == want;
	return st.st_ino != want;
}

/* file PATH WANT: whitespace-squashed content equals WANT */
static int p_file(int argc, char **argv)
{
	static char buf[65536];
	if (argc != 2)
		return setgot("bad args"), 0;
	if (slurp(argv[0], buf, sizeof buf) < 0)
		return errgot(argv[0]), 0;
	squash(buf);
	setgot("%s", buf);
	return cmp_want(argv[1]);
}

/* uts hostname|domainname WANT */
static int p_uts(int argc, char **argv)
{
	struct utsname u;
	if (argc != 2 || uname(&u) < 0)
		return errgot("uname"), 0;
	setgot("%s", strcmp(argv[0], "hostname") == 0 ? u.nodename : u.domainname);
	return cmp_want(argv[1]);
}

/* uname machine WANT */
static int p_machine(int argc, char **argv)
{
	struct utsname u;
	if (argc != 1 || uname(&u) < 0)
		return errgot("uname"), 0;
	setgot("%s", u.machine);
	return cmp_want(argv[0]);
}

/*
 * mnt DEST what [arg]
 *   exists | absent | fstype T | opt O (per-mount or superblock option present)
 *   | noopt O | prop shared|slave|private|unbindable|shared+slave | root R
 */
static int p_mnt(int argc, char **argv)
{
	struct mnt m;
	if (argc < 2)
		return setgot("bad args"), 0;
	int r = find_mount(argv[0], &m);
	if (strcmp(argv[1], "absent") == 0) {
		setgot(r == 0 ? "mounted (%s)" : "not a mount point", m.fstype);
		return r != 0;
	}
	if (r != 0)
		return setgot("no mount at %s", argv[0]), 0;
	if (strcmp(argv[1], "exists") == 0) {
		setgot("mounted");
		return 1;
	}
	if (argc < 3)
		return setgot("bad args"), 0;
	if (strcmp(argv[1], "fstype") == 0) {
		setgot("%s", m.fstype);
		return cmp_want(argv[2]);
	}
	if (strcmp(argv[1], "opt") == 0 || strcmp(argv[1], "noopt") == 0) {
		int has = list_has(m.opts, argv[2]) || list_has(m.super, argv[2]);
		setgot("mount opts %s; super opts %s", m.opts, m.super);
		return strcmp(argv[1], "opt") == 0 ? has : !has;
	}
	if (strcmp(argv[1], "prop") == 0) {
		setgot("%s", m.optional[0] ? m.optional : "no propagation tags (private)");
		return propagation_is(&m, argv[2]);
	}
	if (strcmp(argv[1], "root") == 0) {
		setgot("%s", m.root);
		return cmp_want(argv[2]);
	}
	return setgot("unknown mnt probe %s", argv[1]), 0;
}

/*
 * cgmnt DEST exists|ro: a "cgroup" mount in config.json becomes, on cgroup v1,
 * one mount per hierarchy under DEST (often beneath a tmpfs at DEST); on v2 a
 * single cgroup2 mount at DEST. "exists": some cgroup or cgroup2 mount at or
 * under DEST; "ro": every one of them is read-only.
 */
static int p_cgmnt(int argc, char **argv)
{
	static char buf[1 << 20];
	if (argc != 2)
		return setgot("bad args"), 0;
	if (slurp("/proc/self/mountinfo", buf, sizeof buf) < 0)
		return errgot("mountinfo"), 0;
	size_t l = strlen(argv[0]);
	int n = 0, rw = 0;
	char rwname[1024] = "";
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mnt m;
		if (parse_mountinfo_line(line, &m) != 0)
			continue;
		if (strcmp(m.fstype, "cgroup") && strcmp(m.fstype, "cgroup2"))
			continue;
		if (strncmp(m.point, argv[0], l) || (m.point[l] && m.point[l] != '/'))
			continue;
		n++;
		if (!list_has(m.opts, "ro")) {
			rw++;
			snprintf(rwname, sizeof rwname, "%s", m.point);
		}
	}
	if (strcmp(argv[1], "exists") == 0) {
		setgot("%d cgroup mounts under %s", n, argv[0]);
		return n > 0;
	}
	setgot("%d cgroup mounts, %d read-write (%s)", n, rw, rwname);
	return n > 0 && rw == 0;
}

/* masked PATH: a masked file reads as nothing (or cannot be opened); a masked dir is empty */
static int p_masked(int argc, char **argv)
{
	struct stat st;
	if (argc != 1)
		return setgot("bad args"), 0;
	if (stat(argv[0], &st) < 0) {
		if (errno == EACCES || errno == EPERM)
			return setgot("stat denied (E%d)", errno), 1;
		return errgot("stat"), 0;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(argv[0]);
		if (!d) {
			int ok = errno == EACCES || errno == EPERM;
			errgot("opendir");
			return ok;
		}
		int entries = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				entries++;
		closedir(d);
		setgot("directory with %d entries", entries);
		return entries == 0;
	}
	int fd = open(argv[0], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int ok = errno == EACCES || errno == EPERM;
		errgot("open");
		return ok;
	}
	char b[64];
	ssize_t n = read(fd, b, sizeof b);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		int ok = e == EACCES || e == EPERM;
		errgot("read");
		return ok;
	}
	setgot("read %zd bytes", n);
	return n == 0;
}

/* The mount holding `path` (longest mount point prefix, topmost wins). */
static int containing_mount(const char *path, struct mnt *out)
{
	static char buf[1 << 20];
	if (slurp("/proc/self/mountinfo", buf, sizeof buf) < 0)
		return -1;
	size_t best = 0;
	int found = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mnt m;
		if (parse_mountinfo_line(line, &m) != 0)
			continue;
		size_t l = strlen(m.point);
		int under = strcmp(m.point, "/") == 0 || (strncmp(path, m.point, l) == 0 && (path[l] == 0 || path[l] == '/'));
		if (under && l >= best) {
			best = l;
			*out = m;
			found = 1;
		}
	}
	return found ? 0 : -1;
}

/*
 * access PATH ro|rw. "ro" wants writes to fail with EROFS. access(W_OK) says
 * so directly unless a permission check answers first (no CAP_DAC_OVERRIDE on
 * a 0555 /proc dir): then a directory gets a mkdir probe (the read-only mount
 * check comes before permissions there) and a file is judged by the "ro"
 * flag of the mount holding it.
 */
static int p_access(int argc, char **argv)
{
	if (argc != 2)
		return setgot("bad args"), 0;
	int r = access(argv[0], W_OK);
	int e = errno;
	if (strcmp(argv[1], "rw") == 0) {
		if (r == 0)
			setgot("writable");
		else
			errno = e, errgot("access(W_OK)");
		return r == 0 || e != EROFS;
	}
	if (r == 0)
		return setgot("writable"), 0;
	if (e == EROFS)
		return setgot("EROFS"), 1;
	struct stat st;
	if (stat(argv[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		char probe[4096];
		snprintf(probe, sizeof probe, "%s/.conformance-ro-probe", argv[0]);
		if (mkdir(probe, 0700) == 0) {
			rmdir(probe);
			return setgot("access E%d but mkdir inside succeeded", e), 0;
		}
		if (errno == EROFS)
			return setgot("mkdir probe: EROFS"), 1;
	}
	struct mnt m;
	if (containing_mount(argv[0], &m) < 0)
		return errgot("mountinfo"), 0;
	int ro = list_has(m.opts, "ro") || list_has(m.super, "ro");
	setgot("access E%d; holding mount %s has options %s", e, m.point, m.opts);
	return ro;
}

/* node PATH: "<type> <major>:<minor> <mode> <uid>:<gid>" (type c b p d f l s) */
static int p_node(int argc, char **argv)
{
	struct stat st;
	if (argc != 3)
		return setgot("bad args"), 0;
	int follow = strcmp(argv[1], "follow") == 0;
	if ((follow ? stat(argv[0], &st) : lstat(argv[0], &st)) < 0)
		return errgot("stat"), 0;
	char t = S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : S_ISFIFO(st.st_mode) ? 'p'
		: S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISSOCK(st.st_mode) ? 's' : 'f';
	const char *field = argv[2];
	/* argv[2] = "type" "rdev" "mode" "owner" followed by '=' and the wanted value */
	const char *eq = strchr(field, '=');
	if (!eq)
		return setgot("bad args"), 0;
	size_t kl = (size_t)(eq - field);
	if (strncmp(field, "type", kl) == 0)
		setgot("%c", t);
	else if (strncmp(field, "rdev", kl) == 0)
		setgot("%c %u:%u", t, major(st.st_rdev), minor(st.st_rdev));
	else if (strncmp(field, "mode", kl) == 0)
		setgot("%04o", st.st_mode & 07777);
	else if (strncmp(field, "owner", kl) == 0)
		setgot("%u:%u", st.st_uid, st.st_gid);
	else
		return setgot("unknown node field"), 0;
	return cmp_want(eq + 1);
}

/* same A B: A and B are the same file (dev+inode, following links) */
static int p_same(int argc, char **argv)
{
	struct stat a, b;
	if (argc != 2)
		return setgot("bad args"), 0;
	if (stat(argv[0], &a) < 0)
		return errgot(argv[0]), 0;
	if (stat(argv[1], &b) < 0)
		return errgot(argv[1]), 0;
	setgot("%u:%u/%llu vs %u:%u/%llu", major(a.st_dev), minor(a.st_dev), (unsigned long long)a.st_ino,
	       major(b.st_dev), minor(b.st_dev), (unsigned long long)b.st_ino);
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* link PATH TARGET */
static int p_link(int argc, char **argv)
{
	char buf[4096];
	if (argc != 2)
		return setgot("bad args"), 0;
	ssize_t n = readlink(argv[0], buf, sizeof buf - 1);
	if (n < 0)
		return errgot("readlink"), 0;
	buf[n] = 0;
	setgot("%s", buf);
	return cmp_want(argv[1]);
}

static const struct {
	const char *name;
	int res;
} rlimits[] = {
	{"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_CPU", RLIMIT_CPU},
	{"RLIMIT_DATA", RLIMIT_DATA}, {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_RSS", RLIMIT_RSS}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static void fmt_lim(char *out, size_t cap, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(out, cap, "unlimited");
	else
		snprintf(out, cap, "%llu", (unsigned long long)v);
}

/* rlimit NAME "SOFT HARD" */
static int p_rlimit(int argc, char **argv)
{
	if (argc != 2)
		return setgot("bad args"), 0;
	for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++) {
		if (strcmp(rlimits[i].name, argv[0]) != 0)
			continue;
		struct rlimit rl;
		if (getrlimit(rlimits[i].res, &rl) < 0)
			return errgot("getrlimit"), 0;
		char s[32], h[32];
		fmt_lim(s, sizeof s, rl.rlim_cur);
		fmt_lim(h, sizeof h, rl.rlim_max);
		setgot("%s %s", s, h);
		return cmp_want(argv[1]);
	}
	return setgot("unknown rlimit %s", argv[0]), 0;
}

/* status KEY WANT (from /proc/self/status) */
static int p_status(int argc, char **argv)
{
	if (argc != 2)
		return setgot("bad args"), 0;
	if (status_field(argv[0], got, sizeof got) < 0)
		return errgot(argv[0]), 0;
	return cmp_want(argv[1]);
}

/* id uid|euid|gid|egid|groups WANT (groups: sorted, comma-separated) */
static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
	return x < y ? -1 : x > y;
}

static int p_id(int argc, char **argv)
{
	if (argc != 2)
		return setgot("bad args"), 0;
	const char *k = argv[0];
	if (strcmp(k, "uid") == 0)
		setgot("%u", getuid());
	else if (strcmp(k, "euid") == 0)
		setgot("%u", geteuid());
	else if (strcmp(k, "gid") == 0)
		setgot("%u", getgid());
	else if (strcmp(k, "egid") == 0)
		setgot("%u", getegid());
	else if (strcmp(k, "groups") == 0) {
		gid_t g[256];
		int n = getgroups(256, g);
		if (n < 0)
			return errgot("getgroups"), 0;
		qsort(g, (size_t)n, sizeof g[0], cmp_gid);
		got[0] = 0;
		for (int i = 0; i < n; i++) {
			size_t l = strlen(got);
			snprintf(got + l, sizeof got - l, "%s%u", i ? "," : "", g[i]);
		}
	} else
		return setgot("unknown id %s", k), 0;
	return cmp_want(argv[1]);
}

/* cwd WANT */
static int p_cwd(int argc, char **argv)
{
	if (argc != 1)
		return setgot("bad args"), 0;
	if (!getcwd(got, sizeof got))
		return errgot("getcwd"), 0;
	return cmp_want(argv[0]);
}

/* env NAME WANT | env NAME (unset wanted when only NAME) */
static int p_env(int argc, char **argv)
{
	if (argc < 1 || argc > 2)
		return setgot("bad args"), 0;
	const char *v = getenv(argv[0]);
	if (argc == 1) {
		setgot(v ? "set to \"%s\"" : "unset", v);
		return v == NULL;
	}
	if (!v)
		return setgot("unset"), 0;
	setgot("%s", v);
	return cmp_want(argv[1]);
}

/* argv INDEX WANT (from /proc/self/cmdline, i.e. as the runtime exec'd us) */
static int p_argv(int argc, char **argv)
{
	static char buf[65536];
	if (argc != 2)
		return setgot("bad args"), 0;
	ssize_t n = slurp("/proc/self/cmdline", buf, sizeof buf);
	if (n < 0)
		return errgot("cmdline"), 0;
	long want = strtol(argv[0], NULL, 10);
	long i = 0;
	for (ssize_t off = 0; off < n; off += (ssize_t)strlen(buf + off) + 1, i++) {
		if (i == want) {
			setgot("%s", buf + off);
			return cmp_want(argv[1]);
		}
	}
	return setgot("argc is %ld", i), 0;
}

/* A syscall made only to see whether a filter lets it through: "0" or "E<n>". */
static void do_sys(const char *name, char *out, size_t cap)
{
	long r;
	errno = 0;
	if (strcmp(name, "mkdirat") == 0)
		r = syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-conformance/x", 0755);
	else if (strcmp(name, "swapoff") == 0)
		r = syscall(SYS_swapoff, "/nonexistent-conformance");
	else if (strcmp(name, "getpriority-process") == 0)
		r = syscall(SYS_getpriority, PRIO_PROCESS, 0);
	else if (strcmp(name, "getpriority-pgrp") == 0)
		r = syscall(SYS_getpriority, PRIO_PGRP, 0);
	else if (strcmp(name, "setns-badfd") == 0)
		r = syscall(SYS_setns, -1, 0);
	else if (strcmp(name, "acct") == 0)
		r = syscall(SYS_acct, "/nonexistent-conformance");
	else if (strcmp(name, "getppid") == 0)
		r = syscall(SYS_getppid);
	else if (strcmp(name, "chroot") == 0)
		r = syscall(SYS_chroot, "/nonexistent-conformance");
	else if (strcmp(name, "umount2") == 0)
		r = syscall(SYS_umount2, "/nonexistent-conformance", 0);
	else if (strcmp(name, "getpgid-self") == 0)
		r = syscall(SYS_getpgid, 0);
	else if (strcmp(name, "getpgid-big") == 0)
		r = syscall(SYS_getpgid, 2000000);
	else if (strcmp(name, "getsid-self") == 0)
		r = syscall(SYS_getsid, 0);
	else if (strcmp(name, "getsid-masked") == 0)
		r = syscall(SYS_getsid, 0x110001);
	else {
		snprintf(out, cap, "unknown syscall probe %s", name);
		return;
	}
	if (r < 0)
		snprintf(out, cap, "E%d", errno);
	else
		snprintf(out, cap, "0");
}

/* sys NAME WANT: WANT is "0", "E<n>" or "!E<n>" (anything but) */
static int p_sys(int argc, char **argv)
{
	if (argc != 2)
		return setgot("bad args"), 0;
	do_sys(argv[0], got, sizeof got);
	if (argv[1][0] == '!')
		return strcmp(got, argv[1] + 1) != 0 && strncmp(got, "unknown", 7) != 0;
	return cmp_want(argv[1]);
}

/* sysig NAME WANT: in a child, make the syscall; WANT is "signal <n>" or "exit <n>" */
static int p_sysig(int argc, char **argv)
{
	if (argc != 2)
		return setgot("bad args"), 0;
	pid_t pid = fork();
	if (pid < 0)
		return errgot("fork"), 0;
	if (pid == 0) {
		char tmp[64];
		do_sys(argv[0], tmp, sizeof tmp);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return errgot("waitpid"), 0;
	if (WIFSIGNALED(st))
		setgot("signal %d", WTERMSIG(st));
	else
		setgot("exit %d", WEXITSTATUS(st));
	return cmp_want(argv[1]);
}

/* personality WANT (hex of the low byte, the execution domain) */
static int p_personality(int argc, char **argv)
{
	if (argc != 1)
		return setgot("bad args"), 0;
	int p = personality(0xffffffff);
	if (p < 0)
		return errgot("personality"), 0;
	setgot("0x%02x", p & PER_MASK);
	return cmp_want(argv[0]);
}

/* tty FD yes|no */
static int p_tty(int argc, char **argv)
{
	if (argc != 2)
		return setgot("bad args"), 0;
	int t = isatty(atoi(argv[0]));
	setgot(t ? "yes" : "no");
	return cmp_want(argv[1]);
}

/* winsize "ROWS COLS" on fd 0 */
static int p_winsize(int argc, char **argv)
{
	struct winsize ws;
	if (argc != 1)
		return setgot("bad args"), 0;
	if (ioctl(0, TIOCGWINSZ, &ws) < 0)
		return errgot("TIOCGWINSZ"), 0;
	setgot("%u %u", ws.ws_row, ws.ws_col);
	return cmp_want(argv[0]);
}

/* ctty: /dev/tty opens, i.e. the process has a controlling terminal */
static int p_ctty(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return setgot("bad args"), 0;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errgot("open /dev/tty"), 0;
	close(fd);
	setgot("opened");
	return 1;
}

/* open PATH r|w WANT ("0", "E<n>" or "!E<n>") */
static int p_open(int argc, char **argv)
{
	if (argc != 3)
		return setgot("bad args"), 0;
	int fd = open(argv[0], (argv[1][0] == 'w' ? O_WRONLY : O_RDONLY) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		setgot("E%d", errno);
	else {
		setgot("0");
		close(fd);
	}
	if (argv[2][0] == '!')
		return strcmp(got, argv[2] + 1) != 0;
	return cmp_want(argv[2]);
}

/* cgfile CONTROLLER FILE WANT: FILE in the cgroup v1 mount carrying CONTROLLER */
static int p_cgfile(int argc, char **argv)
{
	static char buf[1 << 20];
	if (argc != 3)
		return setgot("bad args"), 0;
	if (slurp("/proc/self/mountinfo", buf, sizeof buf) < 0)
		return errgot("mountinfo"), 0;
	char point[1024] = "";
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mnt m;
		if (parse_mountinfo_line(line, &m) == 0 && strcmp(m.fstype, "cgroup") == 0 && list_has(m.super, argv[0]))
			snprintf(point, sizeof point, "%s", m.point);
	}
	if (!point[0])
		return setgot("no cgroup mount with %s", argv[0]), 0;
	char path[2048];
	static char content[65536];
	snprintf(path, sizeof path, "%s/%s", point, argv[1]);
	if (slurp(path, content, sizeof content) < 0)
		return errgot(path), 0;
	squash(content);
	setgot("%s", content);
	return cmp_want(argv[2]);
}

/* selfcg CONTROLLER WANT: this process's cgroup path for CONTROLLER in /proc/self/cgroup */
static int p_selfcg(int argc, char **argv)
{
	static char buf[16384];
	if (argc != 2)
		return setgot("bad args"), 0;
	if (slurp("/proc/self/cgroup", buf, sizeof buf) < 0)
		return errgot("/proc/self/cgroup"), 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		if (list_has(c1 + 1, argv[0])) {
			setgot("%s", c2 + 1);
			return cmp_want(argv[1]);
		}
	}
	return setgot("no %s line", argv[0]), 0;
}

/* sched "POLICY PRIORITY NICE" */
static int p_sched(int argc, char **argv)
{
	if (argc != 1)
		return setgot("bad args"), 0;
	int pol = sched_getscheduler(0);
	struct sched_param sp;
	if (pol < 0 || sched_getparam(0, &sp) < 0)
		return errgot("sched_get*"), 0;
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	setgot("%d %d %d", pol & ~SCHED_RESET_ON_FORK, sp.sched_priority, nice);
	return cmp_want(argv[0]);
}

/* ioprio "CLASS LEVEL" */
static int p_ioprio(int argc, char **argv)
{
	if (argc != 1)
		return setgot("bad args"), 0;
	long r = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
	if (r < 0)
		return errgot("ioprio_get"), 0;
	setgot("%ld %ld", (r >> 13) & 7, r & 7);
	return cmp_want(argv[0]);
}

/* affinity LIST (e.g. "0" or "0,1") */
static int p_affinity(int argc, char **argv)
{
	cpu_set_t set;
	if (argc != 1)
		return setgot("bad args"), 0;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return errgot("sched_getaffinity"), 0;
	got[0] = 0;
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set)) {
			size_t l = strlen(got);
			snprintf(got + l, sizeof got - l, "%s%d", l ? "," : "", i);
		}
	}
	return cmp_want(argv[0]);
}

/* mempolicy "MODE NODEMASK" (mode without flags, nodemask as hex) */
static int p_mempolicy(int argc, char **argv)
{
	if (argc != 1)
		return setgot("bad args"), 0;
	int mode = 0;
	unsigned long mask[16] = {0};
	if (syscall(SYS_get_mempolicy, &mode, mask, sizeof mask * 8, NULL, 0) < 0)
		return errgot("get_mempolicy"), 0;
	setgot("%d 0x%lx", mode & 0xff, mask[0]);
	return cmp_want(argv[0]);
}

static const struct {
	const char *name;
	probe_fn fn;
} probes[] = {
	{"ns", p_ns}, {"file", p_file}, {"uts", p_uts}, {"machine", p_machine}, {"mnt", p_mnt},
	{"masked", p_masked}, {"cgmnt", p_cgmnt}, {"access", p_access}, {"node", p_node}, {"same", p_same},
	{"link", p_link}, {"rlimit", p_rlimit}, {"status", p_status}, {"id", p_id},
	{"cwd", p_cwd}, {"env", p_env}, {"argv", p_argv}, {"sys", p_sys}, {"sysig", p_sysig},
	{"personality", p_personality}, {"tty", p_tty}, {"winsize", p_winsize},
	{"ctty", p_ctty}, {"open", p_open}, {"cgfile", p_cgfile}, {"selfcg", p_selfcg},
	{"sched", p_sched}, {"ioprio", p_ioprio}, {"affinity", p_affinity},
	{"mempolicy", p_mempolicy},
};

/* Split on TAB and undo the runner's escapes, in place. */
static int split_fields(char *line, char **f, int max)
{
	int n = 0;
	char *w = line;
	f[n++] = w;
	for (char *r = line; *r; r++) {
		if (*r == '\t') {
			*w++ = 0;
			if (n == max)
				return -1;
			f[n++] = w;
		} else if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
	return n;
}

/* TAP comments must stay on one line. */
static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s EXPECTATIONS\n", argv[0]);
		return 2;
	}
	static char buf[1 << 20];
	if (slurp(argv[1], buf, sizeof buf) < 0) {
		printf("1..1\nnot ok 1 - read expectations %s # E%d\n", argv[1], errno);
		return 1;
	}
	int total = 0;
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			total++;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%d\n", total);
	int n = 0, failed = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[MAX_ARGS + 2];
		int nf = split_fields(line, f, MAX_ARGS + 2);
		n++;
		got[0] = 0;
		int ok = 0;
		const char *want = "";
		if (nf < 2) {
			setgot("malformed expectation line");
		} else {
			probe_fn fn = NULL;
			for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
				if (strcmp(probes[i].name, f[0]) == 0)
					fn = probes[i].fn;
			if (!fn)
				setgot("unknown probe %s", f[0]);
			else
				ok = fn(nf - 2, f + 2);
			want = nf > 2 ? f[nf - 1] : "";
		}
		flatten(got);
		const char *name = nf >= 2 ? f[1] : "?";
		if (ok) {
			printf("ok %d - %s\n", n, name);
		} else {
			failed++;
			char w[1024];
			snprintf(w, sizeof w, "%s", want);
			flatten(w);
			printf("not ok %d - %s # got %s want %s\n", n, name, got, w);
		}
	}
	return failed ? 1 : 0;
}
