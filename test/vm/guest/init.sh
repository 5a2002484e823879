#!/bin/sh
# PID 1 of the boot without systemd (init=): a bare host with pure cgroup v2
# mounted as systemd would, for the cgroupfs driver. The agent does the rest
# (the checkout's mounts) as it does under systemd.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -o remount,rw /
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs /run
mount -t tmpfs -o nosuid,nodev tmpfs /tmp
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf -o mode=700 bpf /sys/fs/bpf 2>/dev/null
# systemd makes the root mount shared; engines and tests expect that.
mount --make-rshared /
hostname tsrun-vm
ip link set lo up
exec /bin/busybox init
