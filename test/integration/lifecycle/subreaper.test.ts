// A caller that is a child subreaper (containerd's shim is one) gets the
// container's init as its child once `create` returns, and reaps its status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip, tempDir, tsrunBin } from '../../helpers/tsrun.js';

// argv: tsrun root bundle id pidfile. Prints self=, ppid= (of the init after
// create returned), then reaped= and code= after start.
const HELPER = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static int run(char *const argv[]) {
  pid_t p = fork();
  if (p < 0) return -1;
  if (p == 0) { execv(argv[0], argv); _exit(127); }
  int st;
  if (waitpid(p, &st, 0) != p) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv) {
  if (argc != 6) return 2;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) { perror("prctl"); return 3; }
  char *create[] = { argv[1], "--root", argv[2], "create", "--bundle", argv[3], "--pid-file", argv[5], argv[4], NULL };
  int rc = run(create);
  printf("create=%d\n", rc);
  if (rc != 0) return 4;
  FILE *f = fopen(argv[5], "r");
  int init = 0;
  if (!f || fscanf(f, "%d", &init) != 1) return 5;
  fclose(f);
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", init);
  f = fopen(path, "r");
  if (!f || !fgets(buf, sizeof buf, f)) return 6;
  fclose(f);
  int ppid = 0;
  char *close_paren = strrchr(buf, ')');
  if (!close_paren || sscanf(close_paren + 2, "%*c %d", &ppid) != 1) return 7;
  printf("self=%d init=%d ppid=%d\n", getpid(), init, ppid);
  char *start[] = { argv[1], "--root", argv[2], "start", argv[4], NULL };
  printf("start=%d\n", run(start));
  int st;
  pid_t got = waitpid(init, &st, 0);
  printf("reaped=%d code=%d\n", got, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
`;

test('create under a child subreaper: the init is reparented to it and it reaps the exit status', { skip: rootSkip }, () => {
  const tmp = tempDir('tsrun-subreaper-');
  const root = tempDir('tsrun-root-');
  const b = makeBundle({ args: ['sh', '-c', 'exit 7'] });
  try {
    const src = join(tmp.path, 'reaper.c');
    const bin = join(tmp.path, 'reaper');
    writeFileSync(src, HELPER);
    const cc = spawnSync('gcc', ['-O1', '-Wall', '-o', bin, src], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const res = spawnSync(bin, [tsrunBin, root.path, b.dir, 'sr', join(tmp.path, 'init.pid')], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
    const m = /self=(\d+) init=(\d+) ppid=(\d+)/.exec(res.stdout);
    assert.ok(m, res.stdout);
    assert.equal(m[3], m[1], 'the init\'s parent is the subreaper once create returned');
    assert.match(res.stdout, /start=0\n/);
    assert.match(res.stdout, new RegExp(`reaped=${m[2]} code=7\\n`), 'the subreaper reaps the init and sees its exit code');
  } finally {
    spawnSync(tsrunBin, ['--root', root.path, 'delete', '--force', 'sr']);
    root.remove();
    tmp.remove();
    b.remove();
  }
});
