# Devices built into the project's qemu-system-x86_64, for configure's
# --without-default-devices --with-devices-x86_64=xferblk. With default
# devices off, Kconfig "default y" and "imply" lines are ignored: only what
# is listed here and what it selects gets built.

# The pc machine (i440FX + PIIX, selects the PC chipset, APIC, serial, ...)
CONFIG_I440FX=y

# What the guest uses besides the device under test
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_9P=y
CONFIG_NVME_PCI=y
# nvme calls spdm-socket, but its Kconfig only has "default y", which
# --without-default-devices ignores: link fails without this line
CONFIG_SPDM_SOCKET=y

# The device under test
CONFIG_XFERBLK=y
