U="runuser -u tsrun -- env XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus HOME=/home/tsrun"
loginctl enable-linger tsrun; sleep 3
cd /tmp
T=/work/wt/rootless/bin/tsrun
node /work/wt/rootless/dist/bundle-oci-image.cjs /tmp/img.tar --ref localhost/tsrun-busybox:test >/dev/null && chmod 644 /tmp/img.tar
$U podman load -i /tmp/img.tar >/dev/null
$U podman --cgroup-manager cgroupfs --runtime $T --log-level debug run --rm --net none localhost/tsrun-busybox:test true 2>&1 | grep -i -E 'error|cgroup' | head -20
$U podman --cgroup-manager cgroupfs --runtime runc run -d --name r1 --net none --memory 64m localhost/tsrun-busybox:test sleep 100
P=$($U podman inspect --format '{{.State.Pid}}' r1); cat /proc/$P/cgroup
C=$(sed -n 's/^0:://p' /proc/$P/cgroup); cat /sys/fs/cgroup$C/memory.max; cat /sys/fs/cgroup$(dirname $C)/cgroup.subtree_control; cat /sys/fs/cgroup$(dirname $C)/cgroup.procs
$U podman inspect --format '{{.OCIConfigPath}}' r1
F=$($U podman inspect --format '{{.OCIConfigPath}}' r1); grep -o '"cgroupsPath":"[^"]*"' $F
$U podman rm -f -t 0 r1
