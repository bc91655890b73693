# n3x: nixosModules.default, every concern module. The hardware profiles are separate
# (nixosModules.hardware-<profile>): some need a third-party module (jetpack-nixos,
# nixos-hardware) that the cluster flake wires in next to them.
{
  imports = [
    ./base.nix
    ./admin.nix
    ./k3s.nix
    ./longhorn.nix
    ./tuning.nix
    ./snapshots.nix
    ./auto-upgrade.nix
  ];
}
