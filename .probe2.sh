set -x
U="runuser -u tsrun -- env XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus HOME=/home/tsrun"
cd /tmp
T=/work/wt/rootless/bin/tsrun
ls -la /work/wt/rootless/bin/tsrun /work/wt/rootless/native/build/tsrun-exec
$U podman --runtime $T run --rm --net none localhost/tsrun-busybox:test sh -c 'id -u; echo ok-systemd'
$U podman --cgroup-manager cgroupfs --runtime $T run --rm --net none localhost/tsrun-busybox:test sh -c 'id -u; cat /proc/self/cgroup; echo ok-cgroupfs'
$U podman --cgroup-manager cgroupfs --runtime crun run --rm --net none --memory 64m localhost/tsrun-busybox:test sh -c 'cat /sys/fs/cgroup/memory.max'
$U podman --cgroup-manager cgroupfs --runtime $T run -d --name t1 --net none localhost/tsrun-busybox:test sleep 300
$U podman --cgroup-manager cgroupfs --runtime $T exec t1 sh -c 'echo exec-ok; id -u'
P=$($U podman --cgroup-manager cgroupfs inspect --format '{{.State.Pid}}' t1); cat /proc/$P/cgroup
time $U podman --cgroup-manager cgroupfs --runtime $T stop -t 2 t1
$U podman --cgroup-manager cgroupfs --runtime $T rm t1
ls /run/user/1000/
