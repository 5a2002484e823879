#!/bin/sh
# mmdebstrap --essential-hook, before the kernel is installed: a small
# initramfs. MODULES=list puts only what the hook below names (and their
# dependencies) in it; udev in the initramfs loads the virtio drivers by
# modalias. MODULES=most (the default) would be ~4x larger and slower to make
# and to unpack under emulation.
set -eu
root=$1
mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/etc/initramfs-tools/hooks"
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/tsrun-vm"
cat >"$root/etc/initramfs-tools/hooks/tsrun-vm" <<'HOOK'
#!/bin/sh
[ "$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
manual_add_modules virtio_pci virtio_blk ext4
HOOK
chmod 755 "$root/etc/initramfs-tools/hooks/tsrun-vm"
