/* Fuzz harness of the launcher's fast path. A malformed fast form must make
 * it go to Node (-1), never crash or act on it. Built with FUZZ_STANDALONE
 * (gcc + ASan/UBSan, `make -C native fuzz`): `fuzz-fast ROOT ID ITERATIONS`
 * mutates ROOT/ID/fast.bin (a valid seed made by the TypeScript encoder for
 * the state.json beside it, test/unit/state/fast-form.test.ts) and runs
 * `state`, `kill ID 0` and `kill --all ID 0` (whose init is alive in the
 * seed: a mutated pid sends it on to the cgroup directories) through the
 * whole path (argv, file checks, the plan reader, status, output) after
 * each mutation. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fastpath.h"
#include "fuzz_mutate.h"

#ifdef FUZZ_STANDALONE
static uint32_t sum_of(const uint8_t *p, size_t n) {
  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
  return h;
}

static int put(const char *path, const uint8_t *b, size_t n) {
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return -1;
  int ok = write(fd, b, n) == (ssize_t)n;
  close(fd);
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: fuzz-fast ROOT ID ITERATIONS\n");
    return 2;
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/%s/fast.bin", argv[1], argv[2]);
  FILE *f = fopen(path, "rb");
  if (!f) return 2;
  static uint8_t seed[1 << 16];
  size_t n = fread(seed, 1, sizeof seed, f);
  fclose(f);
  long iters = atol(argv[3]);
  /* the output of `state` goes nowhere: only whether it acted counts */
  int devnull = open("/dev/null", O_WRONLY);
  dup2(devnull, 1);
  char *state_argv[] = {"tsrun", "--root", argv[1], "state", argv[2], NULL};
  char *kill_argv[] = {"tsrun", "--root", argv[1], "kill", argv[2], "0", NULL};
  char *kill_all_argv[] = {"tsrun", "--root", argv[1], "kill", "--all", argv[2], "0", NULL};
  /* the seed itself must be taken, or the mutations test nothing */
  if (fastpath(5, state_argv) != 0 || fastpath(6, kill_argv) != 0) {
    fprintf(stderr, "fuzz-fast: the seed fast form is not taken\n");
    return 1;
  }
  uint8_t *work = malloc(n + 64);
  long acted = 0;
  for (long it = 0; it < iters; it++) {
    size_t len = mutate(work, seed, n);
    if (next() % 8 && len >= 24) { /* and past the checksum, into the reader */
      uint32_t sum = sum_of(work + 24, len - 24);
      memcpy(work + 20, &sum, 4);
    }
    if (put(path, work, len) < 0) return 2;
    if (fastpath(5, state_argv) == 0) acted++;
    if (fastpath(6, kill_argv) == 0) acted++;
    if (fastpath(7, kill_all_argv) == 0) acted++;
  }
  put(path, seed, n);
  fprintf(stderr, "fuzz-fast: %ld iterations, %ld calls acted\n", iters, acted);
  free(work);
  return 0;
}
#endif
