#!/bin/sh
# Starts the agent from the checkout the host shares (virtio-9p, tag
# "checkout", read-only): the agent is the checkout's, not baked into the
# image, so changing it does not rebuild the image.
set -eu
lower=/run/tsrun-vm/lower
if ! mountpoint -q "$lower"; then
  mkdir -p "$lower"
  modprobe -q 9pnet_virtio 2>/dev/null || true
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=none checkout "$lower"
fi
exec /usr/bin/node "$lower/test/vm/guest/agent.mjs"
