# n3x: what a node needs on the host side to carry Longhorn volumes.
# Longhorn's pods call these tools through nsenter; on NixOS they live outside the FHS
# paths, which is why n3x-kube-bootstrap also installs the Kyverno PATH policy.
{ config, pkgs, ... }:
{
  services.openiscsi.enable = true;
  services.openiscsi.name = "iqn.2016-04.com.open-iscsi:${config.networking.hostName}";

  environment.systemPackages = [
    pkgs.openiscsi
    pkgs.nfs-utils
    pkgs.cryptsetup
  ];

  # iscsi_tcp for volumes, dm_crypt for encrypted volumes.
  boot.kernelModules = [
    "iscsi_tcp"
    "dm_crypt"
  ];
}
