# n3x: settings every node shares. Imported by each generated hosts/<node>/default.nix.
# Data that differs per node (host name, k3s role, addresses, disks) is rendered by the
# n3x tools; this file holds the policy that does not.
{ inputs, lib, ... }:
{
  imports = [
    inputs.disko.nixosModules.disko
    inputs.sops-nix.nixosModules.sops
  ];

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];

  # Keys only: edge machines sit on untrusted networks.
  services.openssh.enable = true;
  services.openssh.settings.PasswordAuthentication = false;
  services.openssh.settings.KbdInteractiveAuthentication = false;
  services.openssh.settings.PermitRootLogin = "prohibit-password";

  # The firewall stays on; n3x-netplan opens exactly the ports k3s and the add-ons need.
  networking.firewall.enable = lib.mkDefault true;

  # k3s and its pods expect a drained node to stop gracefully rather than be killed.
  services.k3s.gracefulNodeShutdown.enable = lib.mkDefault true;
}
