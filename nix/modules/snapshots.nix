# n3x: btrfs snapshots of the root subvolume with snapper, for nodes whose disk layout
# is btrfs (the generated host switches it on). Only / is snapshotted: /nix is rebuilt
# from the flake and /var holds k3s's images and volumes, which snapshots would pin.
{ config, lib, ... }:
let
  cfg = config.n3x.snapshots;
in
{
  options.n3x.snapshots = {
    enable = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Whether snapper takes timeline snapshots of `/` (btrfs layouts only).";
    };
    hourly = lib.mkOption {
      type = lib.types.int;
      default = 24;
      description = "Hourly snapshots kept.";
    };
    daily = lib.mkOption {
      type = lib.types.int;
      default = 7;
      description = "Daily snapshots kept.";
    };
    weekly = lib.mkOption {
      type = lib.types.int;
      default = 4;
      description = "Weekly snapshots kept.";
    };
    monthly = lib.mkOption {
      type = lib.types.int;
      default = 3;
      description = "Monthly snapshots kept.";
    };
  };

  config = lib.mkIf cfg.enable {
    services.snapper.configs.root = {
      SUBVOLUME = "/";
      FSTYPE = "btrfs";
      TIMELINE_CREATE = true;
      TIMELINE_CLEANUP = true;
      TIMELINE_LIMIT_HOURLY = cfg.hourly;
      TIMELINE_LIMIT_DAILY = cfg.daily;
      TIMELINE_LIMIT_WEEKLY = cfg.weekly;
      TIMELINE_LIMIT_MONTHLY = cfg.monthly;
      TIMELINE_LIMIT_YEARLY = 0;
    };
    # snapper keeps snapshots in a .snapshots subvolume of the snapshotted one;
    # tmpfiles' `v` creates it as a subvolume on first boot.
    systemd.tmpfiles.rules = [ "v /.snapshots 0750 root root -" ];
  };
}
