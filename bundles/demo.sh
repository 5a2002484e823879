#!/usr/bin/env bash
# `npm run demo`: build tsrun if needed, make a busybox bundle in a temp dir,
# and run a container that introduces itself. Needs root (a real container:
# namespaces, mounts, cgroups). Cleans up after itself, even on failure.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# TSRUN_DEMO_RUNTIME=/usr/sbin/runc runs the same demo with another runtime, to compare.
tsrun="${TSRUN_DEMO_RUNTIME:-$repo/bin/tsrun}"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [[ ! -x "$repo/bin/tsrun" || ! -f "$repo/dist/tsrun.cjs" || ! -f "$repo/dist/bundle-busybox.cjs" ]]; then
  say "building tsrun (npm run build)"
  (cd "$repo" && node build/build.mjs)
fi
if [[ ! -x /bin/busybox ]]; then
  echo "demo: /bin/busybox is missing: apt-get install busybox-static" >&2
  exit 1
fi

work="$(mktemp -d /tmp/tsrun-demo.XXXXXX)"
id="tsrun-demo-$$"
cgparent="tsrun-demo-$$"
cleanup() {
  "$tsrun" --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  # Our container's cgroups live under a parent of our own; take it away (rmdir only).
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -d "$h$cgparent" ]] && find "$h$cgparent" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

script='echo "Hello from a container run by tsrun, an OCI runtime written in TypeScript."
echo "hostname: $(hostname)"
echo "id -u:    $(id -u)"
echo "uname -a: $(uname -a)"
echo "pid 1:    $(cat /proc/1/comm) (this shell is pid $$)"'

say "making a busybox bundle in $work/bundle"
node "$repo/dist/bundle-busybox.cjs" "$work/bundle" --args "sh -c '$script'" >/dev/null
# An absolute cgroupsPath of our own: never the machine's default placement.
node -e '
  const fs = require("fs"); const f = process.argv[1];
  const c = JSON.parse(fs.readFileSync(f, "utf8"));
  c.linux.cgroupsPath = process.argv[2];
  fs.writeFileSync(f, JSON.stringify(c, null, "\t"));
' "$work/bundle/config.json" "/$cgparent/demo"

if [[ "$(id -u)" != 0 ]]; then
  echo "demo: running a container needs root here (try: sudo npm run demo)" >&2
  exit 1
fi

say "tsrun run $id"
set +e
"$tsrun" --root "$work/state" run --bundle "$work/bundle" "$id" 2>"$work/run.err"
rc=$?
set -e
if [[ $rc -eq 0 ]]; then
  say "the container exited with status 0"
  exit 0
fi
if ! grep -q "not implemented" "$work/run.err"; then
  cat "$work/run.err" >&2
  say "tsrun run failed (exit $rc)"
  exit "$rc"
fi

# The lifecycle is not in this build yet: show what tsrun would do.
say "'tsrun run' is not implemented in this build yet (the lifecycle is coming); showing the plan instead"
set +e
"$tsrun" --root "$work/state" create --dry-run --bundle "$work/bundle" "$id" >"$work/plan.out" 2>"$work/plan.err"
rc=$?
set -e
if [[ $rc -eq 0 && -s "$work/plan.out" ]]; then
  cat "$work/plan.out"
  say "that is the plan 'tsrun create' will carry out"
  exit 0
fi
if [[ $rc -ne 0 ]] && ! grep -q "not implemented" "$work/plan.err"; then
  cat "$work/plan.err" >&2
  say "the bundle does not validate (exit $rc)"
  exit "$rc"
fi
say "the bundle validates; its config.json (process part):"
node -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(JSON.stringify({ ociVersion: c.ociVersion, hostname: c.hostname, process: { args: c.process.args, cwd: c.process.cwd, user: c.process.user }, root: c.root, cgroupsPath: c.linux.cgroupsPath }, null, 2));
' "$work/bundle/config.json"
say "run 'npm run demo' again once the lifecycle has landed to see the container itself"
