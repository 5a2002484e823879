#!/bin/sh
# mmdebstrap --customize-hook: what packages do not give the test host.
# $1 the root, $2 the host's node binary, $3 the host's npm directory (or
# ""), $4 the directory of these guest files.
set -eu
root=$1 node=$2 npm=$3 guest=$4

# The host's own Node (Debian 12's nodejs is 18; tsrun needs 20): the same
# glibc, and bin/tsrun runs /usr/bin/node.
install -m 755 "$node" "$root/usr/bin/node"
if [ -n "$npm" ]; then
  mkdir -p "$root/usr/lib/node_modules"
  cp -a "$npm" "$root/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
fi

# The agent's starter, its unit (systemd boots) and the init without systemd.
mkdir -p "$root/usr/local/lib/tsrun-vm"
install -m 755 "$guest/start-agent.sh" "$root/usr/local/lib/tsrun-vm/start-agent.sh"
install -m 755 "$guest/init.sh" "$root/usr/local/lib/tsrun-vm/init.sh"
install -m 644 "$guest/inittab" "$root/etc/inittab"
install -m 644 "$guest/tsrun-agent.service" "$root/etc/systemd/system/tsrun-agent.service"
chroot "$root" systemctl enable tsrun-agent.service

# The engines' tests start private daemons; the system ones would only cost
# boot time (and make a docker0 bridge). Timers of a long-lived host have
# nothing to do in a throwaway guest.
for u in docker.service docker.socket containerd.service \
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
  man-db.timer dpkg-db-backup.timer podman-auto-update.timer podman-restart.service \
  podman-clean-transient.service podman.service podman.socket; do
  chroot "$root" systemctl mask "$u" >/dev/null 2>&1 || true
done
chroot "$root" systemctl set-default multi-user.target

# A user for rootless tests, with subordinate ids for newuidmap/newgidmap
# and a lingering systemd --user (rootless podman on cgroup v2 needs it).
chroot "$root" useradd --create-home --shell /bin/bash --uid 1000 tsrun
echo tsrun:100000:65536 >"$root/etc/subuid"
echo tsrun:100000:65536 >"$root/etc/subgid"
mkdir -p "$root/var/lib/systemd/linger"
touch "$root/var/lib/systemd/linger/tsrun"

echo tsrun-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tsrun-vm\n::1 localhost\n' >"$root/etc/hosts"
echo '/dev/vda / ext4 rw,relatime 0 1' >"$root/etc/fstab"
# A root console on the serial line, for debugging by hand (the guest has no
# network, and the console is a file or a socket of the host's root).
chroot "$root" passwd --delete root >/dev/null

# What the image does not need at run time.
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/usr/share/doc" "$root/usr/share/man" \
  "$root/usr/share/info" "$root/var/cache/man"
