/* The standalone mutator the two fuzz harnesses share (exec/fuzz_plan.c for
 * the plan reader, fuzz_fast.c for the launcher's fast path): both read a
 * framed TLV form with a 24-byte header, so the same mutations reach past it.
 * A fixed seed, so that a failure replays. */
#ifndef TSRUN_FUZZ_MUTATE_H
#define TSRUN_FUZZ_MUTATE_H

#include <stdint.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)rng;
}

/*
 * `seed` (n bytes) copied into `work` (n + 64 bytes of room) and changed by
 * 1-8 byte flips, random bytes, truncations, hostile 32-bit lengths and
 * appended bytes; the new length. The header's first 12 bytes are kept most
 * of the time, or nothing would get past it.
 */
static size_t mutate(uint8_t *work, const uint8_t *seed, size_t n) {
  size_t len = n;
  memcpy(work, seed, n);
  int muts = 1 + (int)(next() % 8);
  for (int m = 0; m < muts && len > 0; m++) {
    switch (next() % 5) {
    case 0: work[next() % len] ^= (uint8_t)(1u << (next() % 8)); break;
    case 1: work[next() % len] = (uint8_t)next(); break;
    case 2: len = next() % (len + 1); break;
    case 3:
      if (len >= 4) {
        uint32_t v = (next() & 1) ? 0xffffffffu : next() % 64;
        memcpy(work + (next() % (len - 3)), &v, 4);
      }
      break;
    case 4: if (len < n + 64) work[len++] = (uint8_t)next(); break;
    }
  }
  if (next() % 4 && len >= 24) memcpy(work, seed, 12);
  return len;
}

#endif
