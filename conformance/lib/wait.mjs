// Waiting without an event loop turn (the suite is synchronous between steps).

export const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Poll `fn` until it returns something truthy or `ms` pass; returns its last value. */
export function waitFor(fn, ms = 3000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v || Date.now() > end) return v;
    sleepMs(25);
  }
}
