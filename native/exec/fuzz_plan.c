/* Fuzz harness of the plan reader. With libFuzzer (clang -fsanitize=fuzzer)
 * it is LLVMFuzzerTestOneInput; built with FUZZ_STANDALONE it mutates a seed
 * plan itself (byte flips, truncations, length-field corruptions) so that
 * gcc + ASan/UBSan can run it anywhere: `fuzz-plan SEED ITERATIONS`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* a private copy, exactly as long as the input, so ASan sees any overread */
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  struct plan p;
  char err[256];
  if (plan_decode(buf, size, &p, err, sizeof err) == 0) {
    /* touch every decoded string so a bad pointer faults here */
    for (uint32_t i = 0; i < p.nops; i++) {
      const struct op_desc *d = &op_descs[p.ops[i].code];
      for (uint8_t k = 0; k < d->nfields; k++) {
        const char *base = (const char *)&p.ops[i].u + d->fields[k].offset;
        if (d->fields[k].type == FT_STR) (void)strlen(*(const char *const *)base);
        if (d->fields[k].type == FT_STRS) {
          const struct plan_strs *s = (const struct plan_strs *)base;
          for (uint32_t j = 0; j < s->n; j++) (void)strlen(s->v[j]);
          free(s->v);
        }
        if (d->fields[k].type == FT_U32S) free(((const struct plan_u32s *)base)->v);
      }
    }
    free(p.ops);
  }
  free(buf);
  return 0;
}

#ifdef FUZZ_STANDALONE
#include "../fuzz_mutate.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: fuzz-plan SEED ITERATIONS\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  static uint8_t seed[1 << 20];
  size_t n = fread(seed, 1, sizeof seed, f);
  fclose(f);
  long iters = atol(argv[2]);
  uint8_t *work = malloc(n + 64);
  long accepted = 0;
  for (long it = 0; it < iters; it++) {
    size_t len = mutate(work, seed, n);
    struct plan p;
    char err[256];
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, work, len);
    if (plan_decode(copy, len, &p, err, sizeof err) == 0) accepted++;
    free(copy);
    LLVMFuzzerTestOneInput(work, len);
  }
  printf("fuzz-plan: %ld iterations, %ld decoded\n", iters, accepted);
  free(work);
  return 0;
}
#endif
