# n3x: flake outputs for the hosts n3x rendered. The generated flake.nix calls
#   import ./nix/outputs.nix inputs [ "node-a" "node-b" … ]
# and every hosts/<node>/default.nix sets its own platform, so this stays generic.
inputs: nodes:
let
  inherit (inputs.nixpkgs) lib;
in
{
  nixosConfigurations = lib.genAttrs nodes (
    name:
    lib.nixosSystem {
      specialArgs = { inherit inputs; };
      modules = [ (../hosts + "/${name}") ];
    }
  );
}
