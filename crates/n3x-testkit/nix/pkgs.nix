# Stand-in packages for the test evaluator: each is an attribute set with the shape of a
# derivation (type, name, outPath), so `"${pkgs.x}/bin/y"` and package-typed options
# work. Only the packages n3x's modules use are here; any other one fails evaluation.
let
  stand-in = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-stand-in-${name}";
  };
  names = [
    "cryptsetup"
    "k3s"
    "nfs-utils"
    "nvidia-container-toolkit"
    "openiscsi"
  ];
in
builtins.listToAttrs (
  map (name: {
    inherit name;
    value = stand-in name;
  }) names
)
