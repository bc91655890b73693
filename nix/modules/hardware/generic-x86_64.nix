# n3x hardware profile: any x86_64 UEFI machine.
{ lib, ... }:
{
  n3x.hardware = "generic-x86_64";
  boot.loader.systemd-boot.enable = lib.mkDefault true;
  boot.loader.efi.canTouchEfiVariables = lib.mkDefault true;
  boot.initrd.availableKernelModules = [
    "nvme"
    "xhci_pci"
    "ahci"
    "usb_storage"
    "sd_mod"
  ];
}
