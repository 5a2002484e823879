/* Reading a plan (or a fast form): a bounded, versioned TLV. Every read is checked against
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

/* A TLV of `s`'s records: the plan (struct op) and the fast form
 * (struct fast_rec, native/build/fast.h) share this one reader. Each record
 * is s->rec_size bytes: u16 code, u8 stage, then its fields at s->body. */
int tlv_decode(const struct tlv_schema *s, const uint8_t *buf, size_t len, uint32_t *flags_out, uint32_t *n_out,
               void **recs_out, char *err, size_t errlen) {
  struct reader r = {buf, len};
  uint32_t magic, build, nops, body, reserved;
  uint16_t version, flags;
  const char *what = s->what;
  if (take(&r, &magic, 4) || take(&r, &version, 2) || take(&r, &flags, 2) || take(&r, &build, 4) ||
      take(&r, &nops, 4) || take(&r, &body, 4) || take(&r, &reserved, 4)) {
    snprintf(err, errlen, "%s: truncated header", what);
    return -1;
  }
  if (magic != s->magic) {
    snprintf(err, errlen, "%s: bad magic %#x", what, magic);
    return -1;
  }
  if (version != s->version || build != s->build) {
    snprintf(err, errlen, "%s: executor build mismatch (%s protocol %u build %#x, executor protocol %u build %#x): rebuild tsrun",
             what, what, version, build, s->version, s->build);
    return -1;
  }
  if (body != r.left || nops > r.left / 8) {
    snprintf(err, errlen, "%s: length mismatch", what);
    return -1;
  }
  uint8_t *recs = calloc((size_t)nops + 1, s->rec_size);
  if (!recs) {
    snprintf(err, errlen, "%s: out of memory", what);
    return -1;
  }
  for (uint32_t i = 0; i < nops; i++) {
    uint16_t code, nfields;
    uint32_t oplen;
    uint8_t *rec = recs + (size_t)i * s->rec_size;
    if (take(&r, &code, 2) || take(&r, &nfields, 2) || take(&r, &oplen, 4) || oplen > r.left) {
      snprintf(err, errlen, "%s: op %u truncated", what, i);
      goto bad;
    }
    if (code == 0 || code >= s->ncodes) {
      snprintf(err, errlen, "%s: op %u has unknown code %u", what, i, code);
      goto bad;
    }
    const struct op_desc *d = &s->descs[code];
    if (nfields != d->nfields) {
      snprintf(err, errlen, "%s: op %u (%s) has %u fields, want %u", what, i, d->name, nfields, d->nfields);
      goto bad;
    }
    struct reader o = {r.p, oplen};
    r.p += oplen;
    r.left -= oplen;
    memcpy(rec, &code, 2);
    rec[2] = d->stage;
    for (uint16_t k = 0; k < nfields; k++) {
      uint16_t idx, type;
      uint32_t flen;
      if (take(&o, &idx, 2) || take(&o, &type, 2) || take(&o, &flen, 4) || flen > o.left || idx != k ||
          type != d->fields[k].type) {
        snprintf(err, errlen, "%s: op %u (%s) field %u malformed", what, i, d->name, k);
        goto bad;
      }
      struct reader f = {o.p, flen};
      o.p += flen;
      o.left -= flen;
      if (decode_field(type, &f, rec + s->body + d->fields[k].offset) < 0) {
        snprintf(err, errlen, "%s: op %u (%s) field %u invalid", what, i, d->name, k);
        goto bad;
      }
    }
    if (o.left != 0) {
      snprintf(err, errlen, "%s: op %u (%s) has trailing bytes", what, i, d->name);
      goto bad;
    }
  }
  if (r.left != 0) {
    snprintf(err, errlen, "%s: trailing bytes", what);
    goto bad;
  }
  *flags_out = flags;
  *n_out = nops;
  *recs_out = recs;
  return 0;
bad:
  /* the few lists allocated so far are left to the exit that follows */
  free(recs);
  return -1;
}

static const struct tlv_schema plan_schema = {
  "plan", PLAN_MAGIC, PROTOCOL_VERSION, PLAN_BUILD_ID, OP__END, op_descs, sizeof(struct op), offsetof(struct op, u),
};

int plan_decode(const uint8_t *buf, size_t len, struct plan *out, char *err, size_t errlen) {
  void *ops;
  uint32_t flags, n;
  if (tlv_decode(&plan_schema, buf, len, &flags, &n, &ops, err, errlen) < 0) return -1;
  out->flags = flags;
  out->nops = n;
  out->ops = ops;
  return 0;
}
