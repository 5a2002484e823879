cd /work/wt/rootless
ls -la --time-style=+%T dist/cli-create.cjs native/build/tsrun-exec
node build/build.mjs 2>&1 | tail -2
ls -la --time-style=+%T dist/cli-create.cjs native/build/tsrun-exec
U="runuser -u tsrun -- env XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus HOME=/home/tsrun"
cd /tmp
$U podman --cgroup-manager cgroupfs --runtime /work/wt/rootless/bin/tsrun run --rm --net none localhost/tsrun-busybox:test echo hi-cgroupfs 2>&1 | tail -3
$U podman --runtime /work/wt/rootless/bin/tsrun run --rm --net none localhost/tsrun-busybox:test echo hi-systemd 2>&1 | tail -3
