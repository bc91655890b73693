# n3x: optional unattended upgrades from the cluster repository. Off by default: a
# cluster is usually rolled out node by node (n3x-deploy); turn it on for nodes that
# should follow the repository's main branch by themselves.
{ config, lib, ... }:
let
  cfg = config.n3x.autoUpgrade;
in
{
  options.n3x.autoUpgrade = {
    enable = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Whether the node upgrades itself from `n3x.autoUpgrade.flake`.";
    };
    flake = lib.mkOption {
      type = lib.types.str;
      default = "";
      description = "The cluster repository as a flake reference (e.g. `git+https://git.example.net/edge-lab/cluster`); `#<hostName>` is appended.";
      example = "github:example/edge-lab-cluster";
    };
    dates = lib.mkOption {
      type = lib.types.str;
      default = "04:40";
      description = "When to upgrade (systemd calendar expression).";
    };
    allowReboot = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Whether to reboot when the kernel or initrd changed.";
    };
  };

  config = lib.mkIf cfg.enable {
    system.autoUpgrade.enable = true;
    system.autoUpgrade.flake = "${cfg.flake}#${config.networking.hostName}";
    system.autoUpgrade.dates = cfg.dates;
    system.autoUpgrade.allowReboot = cfg.allowReboot;
  };
}
