# n3x hardware profile: Raspberry Pi 4. Needs nixos-hardware's raspberry-pi-4 module,
# which the cluster flake imports next to this one; it sets up the extlinux boot loader
# and, from nixos-hardware f54c3bcb (2026-07) on, declares hardware.raspberry-pi.firmware.
# With firmware.enable its activation script fills the firmware partition that n3x-disko's
# sdcard layout mounts at /boot/firmware (Pi firmware, config.txt, and with uboot.enable
# U-Boot as the kernel the firmware starts; U-Boot then reads extlinux.conf from /boot).
{ lib, ... }:
{
  n3x.hardware = "rpi4";
  hardware.raspberry-pi.firmware.enable = lib.mkDefault true;
  hardware.raspberry-pi.firmware.path = lib.mkDefault "/boot/firmware";
  hardware.raspberry-pi.firmware.uboot.enable = lib.mkDefault true;
  boot.loader.generic-extlinux-compatible.enable = lib.mkDefault true;
}
