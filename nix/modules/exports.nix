# n3x: the nixosModules the repository's flake exports: `default` (every concern),
# one module per concern, and one per hardware profile (`hardware-<profile>`).
{
  default = ./default.nix;
  base = ./base.nix;
  admin = ./admin.nix;
  k3s = ./k3s.nix;
  longhorn = ./longhorn.nix;
  tuning = ./tuning.nix;
  snapshots = ./snapshots.nix;
  auto-upgrade = ./auto-upgrade.nix;
  hardware-n100 = ./hardware/n100.nix;
  hardware-generic-x86_64 = ./hardware/generic-x86_64.nix;
  hardware-generic-aarch64 = ./hardware/generic-aarch64.nix;
  hardware-jetson-orin-nano = ./hardware/jetson-orin-nano.nix;
  hardware-rpi4 = ./hardware/rpi4.nix;
  hardware-rpi5 = ./hardware/rpi5.nix;
}
