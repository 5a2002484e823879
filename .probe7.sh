loginctl enable-linger tsrun; sleep 2
cd /tmp
U="runuser -u tsrun -- env XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus HOME=/home/tsrun"
node /work/wt/rootless/dist/bundle-oci-image.cjs /tmp/img.tar --ref localhost/tsrun-busybox:test >/dev/null && chmod 644 /tmp/img.tar
$U podman load -i /tmp/img.tar >/dev/null 2>&1
$U podman --runtime /work/wt/rootless/bin/tsrun run --rm --net none localhost/tsrun-busybox:test echo hi 2>&1 | fold -w 200
$U podman rmi -f localhost/tsrun-busybox:test >/dev/null 2>&1
loginctl disable-linger tsrun
