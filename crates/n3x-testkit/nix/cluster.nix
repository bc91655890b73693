# Evaluates every host of a cluster flake rendered by `n3x-inventory render-flake` the
# way `nixos-rebuild --flake` would reach it: the flake's own `outputs` function is
# called with inputs whose nixpkgs.lib.nixosSystem is ./eval.nix, whose n3x input is
# the n3x repository's own flake.nix (so nixosModules come from its outputs), and whose
# third-party inputs are empty stand-in modules (their options come from the manifest).
{
  clusterDir,
  n3xDir,
  trieFile,
}:
let
  lib = import ./lib.nix;
  trie = builtins.fromJSON (builtins.readFile trieFile);
  evalModules = import ./eval.nix {
    inherit lib trie;
    pkgs = import ./pkgs.nix;
    modulesPath = ./stand-in/modules;
  };
  standIn = name: {
    key = "stand-in:${name}";
    _file = "stand-in:${name}";
  };
  nixpkgs = {
    lib = lib // {
      nixosSystem = evalModules;
    };
  };
  n3xFlake = import (n3xDir + "/flake.nix");
  n3x = n3xFlake.outputs {
    self = n3x;
    inherit nixpkgs;
  };
  clusterFlake = import (clusterDir + "/flake.nix");
  inputs = {
    self = cluster;
    inherit nixpkgs n3x;
    disko.nixosModules.disko = standIn "disko";
    sops-nix.nixosModules.sops = standIn "sops-nix";
    jetpack-nixos.nixosModules.default = standIn "jetpack-nixos";
    nixos-hardware.nixosModules = {
      raspberry-pi-4 = standIn "nixos-hardware";
      raspberry-pi-5 = standIn "nixos-hardware";
    };
  };
  cluster = clusterFlake.outputs inputs;
in
{
  inputs = clusterFlake.inputs;
  hosts = builtins.mapAttrs (_: h: {
    inherit (h) defined unknown files;
  }) cluster.nixosConfigurations;
}
