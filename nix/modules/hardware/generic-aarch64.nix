# n3x hardware profile: any aarch64 UEFI machine.
{ lib, ... }:
{
  n3x.hardware = "generic-aarch64";
  boot.loader.systemd-boot.enable = lib.mkDefault true;
  boot.loader.efi.canTouchEfiVariables = lib.mkDefault true;
  boot.initrd.availableKernelModules = [
    "nvme"
    "xhci_pci"
    "usb_storage"
  ];
}
