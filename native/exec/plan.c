/* Reading a plan: a bounded, versioned TLV. Every read is checked against
 * the buffer's end; strings must carry their NUL and no other. Decoded
 * strings point into the buffer, which lives as long as the process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"

struct reader {
  const uint8_t *p;
  size_t left;
};

static int take(struct reader *r, void *dst, size_t n) {
  if (r->left < n) return -1;
  if (dst) memcpy(dst, r->p, n);
  r->p += n;
  r->left -= n;
  return 0;
}

/* A string of `len` bytes (its NUL included) at r; returns it or NULL. */
static const char *take_str(struct reader *r, uint32_t len) {
  if (len == 0 || r->left < len) return NULL;
  const char *s = (const char *)r->p;
  if (s[len - 1] != '\0' || memchr(s, '\0', len - 1) != NULL) return NULL;
  r->p += len;
  r->left -= len;
  return s;
}

static int decode_field(uint16_t type, struct reader *f, void *dst) {
  switch (type) {
  case FT_U32:
  case FT_I32:
    if (f->left != 4) return -1;
    return take(f, dst, 4);
  case FT_U64:
  case FT_I64:
    if (f->left != 8) return -1;
    return take(f, dst, 8);
  case FT_STR: {
    const char *s = take_str(f, (uint32_t)f->left);
    if (!s) return -1;
    *(const char **)dst = s;
    return 0;
  }
  case FT_STRS: {
    uint32_t n;
    if (take(f, &n, 4) < 0 || n > f->left / 5) return -1; /* each needs >= 5 bytes */
    char **v = calloc((size_t)n + 1, sizeof *v);
    if (!v) return -1;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t len;
      const char *s;
      if (take(f, &len, 4) < 0 || !(s = take_str(f, len))) {
        free(v);
        return -1;
      }
      v[i] = (char *)s;
    }
    if (f->left != 0) {
      free(v);
      return -1;
    }
    ((struct plan_strs *)dst)->n = n;
    ((struct plan_strs *)dst)->v = v;
    return 0;
  }
  case FT_U32S: {
    uint32_t n;
    if (take(f, &n, 4) < 0 || f->left != (size_t)n * 4) return -1;
    uint32_t *v = calloc((size_t)n + 1, sizeof *v);
    if (!v) return -1;
    take(f, v, (size_t)n * 4);
    ((struct plan_u32s *)dst)->n = n;
    ((struct plan_u32s *)dst)->v = v;
    return 0;
  }
  case FT_BYTES:
    ((struct plan_bytes *)dst)->len = (uint32_t)f->left;
    ((struct plan_bytes *)dst)->p = f->p;
    f->p += f->left;
    f->left = 0;
    return 0;
  }
  return -1;
}

int plan_decode(const uint8_t *buf, size_t len, struct plan *out, char *err, size_t errlen) {
  struct reader r = {buf, len};
  uint32_t magic, build, nops, body, reserved;
  uint16_t version, flags;
  if (take(&r, &magic, 4) || take(&r, &version, 2) || take(&r, &flags, 2) || take(&r, &build, 4) ||
      take(&r, &nops, 4) || take(&r, &body, 4) || take(&r, &reserved, 4)) {
    snprintf(err, errlen, "plan: truncated header");
    return -1;
  }
  if (magic != PLAN_MAGIC) {
    snprintf(err, errlen, "plan: bad magic %#x", magic);
    return -1;
  }
  if (version != PROTOCOL_VERSION || build != PLAN_BUILD_ID) {
    snprintf(err, errlen, "plan: executor build mismatch (plan protocol %u build %#x, executor protocol %u build %#x): rebuild tsrun",
             version, build, PROTOCOL_VERSION, PLAN_BUILD_ID);
    return -1;
  }
  if (body != r.left || nops > r.left / 8) {
    snprintf(err, errlen, "plan: length mismatch");
    return -1;
  }
  struct op *ops = calloc((size_t)nops + 1, sizeof *ops);
  if (!ops) {
    snprintf(err, errlen, "plan: out of memory");
    return -1;
  }
  for (uint32_t i = 0; i < nops; i++) {
    uint16_t code, nfields;
    uint32_t oplen;
    if (take(&r, &code, 2) || take(&r, &nfields, 2) || take(&r, &oplen, 4) || oplen > r.left) {
      snprintf(err, errlen, "plan: op %u truncated", i);
      goto bad;
    }
    if (code == 0 || code >= OP__END) {
      snprintf(err, errlen, "plan: op %u has unknown code %u", i, code);
      goto bad;
    }
    const struct op_desc *d = &op_descs[code];
    if (nfields != d->nfields) {
      snprintf(err, errlen, "plan: op %u (%s) has %u fields, want %u", i, d->name, nfields, d->nfields);
      goto bad;
    }
    struct reader o = {r.p, oplen};
    r.p += oplen;
    r.left -= oplen;
    ops[i].code = code;
    ops[i].stage = d->stage;
    for (uint16_t k = 0; k < nfields; k++) {
      uint16_t idx, type;
      uint32_t flen;
      if (take(&o, &idx, 2) || take(&o, &type, 2) || take(&o, &flen, 4) || flen > o.left || idx != k ||
          type != d->fields[k].type) {
        snprintf(err, errlen, "plan: op %u (%s) field %u malformed", i, d->name, k);
        goto bad;
      }
      struct reader f = {o.p, flen};
      o.p += flen;
      o.left -= flen;
      if (decode_field(type, &f, (char *)&ops[i].u + d->fields[k].offset) < 0) {
        snprintf(err, errlen, "plan: op %u (%s) field %u invalid", i, d->name, k);
        goto bad;
      }
    }
    if (o.left != 0) {
      snprintf(err, errlen, "plan: op %u (%s) has trailing bytes", i, d->name);
      goto bad;
    }
  }
  if (r.left != 0) {
    snprintf(err, errlen, "plan: trailing bytes");
    goto bad;
  }
  out->flags = flags;
  out->nops = nops;
  out->ops = ops;
  return 0;
bad:
  /* the few lists allocated so far are left to the exit that follows */
  free(ops);
  return -1;
}
