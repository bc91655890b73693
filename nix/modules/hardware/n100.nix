# n3x hardware profile: Intel N100 mini PC (UEFI, NVMe, two Intel i226 NICs). The N100
# tuning (nix/modules/tuning.nix) follows from n3x.hardware and is on by default.
{ lib, ... }:
{
  n3x.hardware = "n100";
  boot.loader.systemd-boot.enable = lib.mkDefault true;
  boot.loader.efi.canTouchEfiVariables = lib.mkDefault true;
  boot.initrd.availableKernelModules = [
    "nvme"
    "xhci_pci"
    "ahci"
    "usb_storage"
    "sd_mod"
  ];
  boot.kernelModules = [ "kvm-intel" ];
}
