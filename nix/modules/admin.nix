# n3x: the people who administer the node: one non-root admin user in wheel with the
# inventory's SSH keys and password-less sudo (there is no password to type: login is
# key-only), plus the same keys for root so nixos-anywhere and nixos-rebuild can deploy.
{ config, lib, ... }:
let
  cfg = config.n3x.admin;
in
{
  options.n3x.admin = {
    enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Whether to create the admin user.";
    };
    name = lib.mkOption {
      type = lib.types.str;
      default = "admin";
      description = "Login name of the admin user (`ssh admin@node`).";
    };
    sshKeys = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      description = "SSH public keys (one `ssh-ed25519 …` line each) that may log in as the admin user and as root. Rendered from the inventory's `admins[].sshKeys`.";
    };
    rootKeys = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Whether root accepts the same keys (needed by nixos-anywhere and `nixos-rebuild --target-host root@…`).";
    };
  };

  config = lib.mkIf cfg.enable {
    users.users.${cfg.name} = {
      isNormalUser = true;
      extraGroups = [ "wheel" ];
      openssh.authorizedKeys.keys = cfg.sshKeys;
    };
    users.users.root.openssh.authorizedKeys.keys = lib.mkIf cfg.rootKeys cfg.sshKeys;
    security.sudo.enable = lib.mkDefault true;
    security.sudo.wheelNeedsPassword = lib.mkDefault false;
  };
}
