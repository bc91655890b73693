# n3x: the node baseline from the seeds: a minimal, headless, self-cleaning NixOS.
# Every setting is a default (mkDefault), so a host or local.nix overrides it without
# mkForce; `n3x.baseline.enable = false` drops the whole set.
{
  config,
  lib,
  modulesPath,
  ...
}:
let
  cfg = config.n3x;
in
{
  # The profiles only set defaults themselves; importing them is unconditional because
  # imports cannot depend on config.
  imports = [
    (modulesPath + "/profiles/minimal.nix")
    (modulesPath + "/profiles/headless.nix")
  ];

  options.n3x = {
    role = lib.mkOption {
      type = lib.types.enum [
        "server"
        "agent"
      ];
      description = "The node's k3s role. Rendered by `n3x-inventory render-flake` from the inventory.";
      example = "agent";
    };
    hardware = lib.mkOption {
      type = lib.types.enum [
        "n100"
        "generic-x86_64"
        "generic-aarch64"
        "jetson-orin-nano"
        "rpi4"
        "rpi5"
      ];
      description = "The hardware profile. Set by the `hardware-<profile>` module the cluster flake imports for the node.";
      example = "n100";
    };
    baseline.enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Whether to apply the n3x node baseline (minimal and headless profiles, no documentation, no default packages, store optimisation, weekly garbage collection, ten boot entries, key-only SSH, journald limits, firewall on).";
    };
    journald.maxUse = lib.mkOption {
      type = lib.types.str;
      default = "1G";
      description = "journald `SystemMaxUse=`: the most disk space the persistent journal may take.";
      example = "500M";
    };
    journald.maxRetention = lib.mkOption {
      type = lib.types.str;
      default = "1month";
      description = "journald `MaxRetentionSec=`: entries older than this are deleted.";
      example = "2weeks";
    };
  };

  config = lib.mkIf cfg.baseline.enable {
    documentation.enable = lib.mkDefault false;
    environment.defaultPackages = lib.mkDefault [ ];
    programs.command-not-found.enable = lib.mkDefault false;

    nix.settings.experimental-features = [
      "nix-command"
      "flakes"
    ];
    nix.settings.auto-optimise-store = lib.mkDefault true;
    nix.gc.automatic = lib.mkDefault true;
    nix.gc.dates = lib.mkDefault "weekly";
    nix.gc.options = lib.mkDefault "--delete-older-than 30d";

    # The ESP is 1 GiB (n3x-disko); ten generations of kernel + initrd fit with room to spare.
    boot.loader.systemd-boot.configurationLimit = lib.mkDefault 10;
    # overlay for containerd's snapshotter; iscsi_tcp and dm_crypt for Longhorn volumes
    # (the seeds load them on every node).
    boot.kernelModules = [
      "iscsi_tcp"
      "dm_crypt"
      "overlay"
    ];

    # Keys only: edge machines sit on untrusted networks. root keeps key login for
    # nixos-anywhere and nixos-rebuild --target-host; people log in as their admin user.
    services.openssh.enable = lib.mkDefault true;
    services.openssh.settings.PasswordAuthentication = lib.mkDefault false;
    services.openssh.settings.KbdInteractiveAuthentication = lib.mkDefault false;
    services.openssh.settings.PermitRootLogin = lib.mkDefault "prohibit-password";

    services.journald.extraConfig = ''
      SystemMaxUse=${cfg.journald.maxUse}
      MaxRetentionSec=${cfg.journald.maxRetention}
    '';

    # The firewall stays on; n3x-netplan's network.nix opens exactly the ports k3s and
    # the add-ons need, per interface.
    networking.firewall.enable = lib.mkDefault true;
  };
}
