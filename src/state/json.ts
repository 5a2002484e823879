// JSON as Go's encoding/json writes it (runc's state/list output): <, > and &
// escaped as \u003c \u003e \u0026, and U+2028/U+2029 escaped, which
// JSON.stringify does not do. Callers comparing bytes with runc rely on it.
const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** JSON.stringify, then Go's extra escapes. These characters only occur inside strings. */
export function goJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
}
