# n3x: what a node needs on the host side to run Longhorn. Longhorn's install
# requirements apply to every node of a cluster with Longhorn (a node without a
# Longhorn disk still attaches volumes for its pods), so the generated hosts switch this
# on for every node when the Longhorn add-on is on. Longhorn's pods call these tools
# through nsenter; on NixOS they live outside the FHS paths, which is why
# n3x-kube-bootstrap also installs the Kyverno PATH policy.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.n3x.longhorn;
in
{
  options.n3x.longhorn = {
    enable = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Whether the node carries Longhorn's host side: open-iscsi, iscsi_tcp, dm_crypt, nfs-utils and cryptsetup.";
    };
    initiatorName = lib.mkOption {
      type = lib.types.str;
      default = "iqn.2016-04.com.open-iscsi:${config.networking.hostName}";
      defaultText = "iqn.2016-04.com.open-iscsi:<networking.hostName>";
      description = "The node's iSCSI initiator name; unique per host.";
    };
  };

  config = lib.mkIf cfg.enable {
    services.openiscsi.enable = true;
    services.openiscsi.name = cfg.initiatorName;
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
  };
}
