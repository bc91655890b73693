# n3x's own flake: the tools as a package, the NixOS modules generated cluster flakes
# import, a development shell, the starter cluster repository and checks.
# A cluster repository rendered by `n3x-inventory render-flake` takes this flake as its
# `n3x` input and imports `inputs.n3x.nixosModules.default`.
{
  description = "n3x: NixOS + k3s edge clusters from one inventory";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      nixosModules = import ./nix/modules/exports.nix;

      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.default ];
          packages = [
            pkgs.age
            pkgs.sops
            pkgs.shellcheck
            pkgs.check-jsonschema
          ];
        };
      });

      templates.default = {
        path = ./templates/default;
        description = "A cluster repository: an example inventory, a Makefile that renders it with n3x, a .gitignore and a README of the steps";
      };

      checks = forAllSystems (pkgs: {
        # Builds every tool from the committed Cargo.lock (the tests need the real external
        # tools and run with `make test`).
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      });
    };
}
