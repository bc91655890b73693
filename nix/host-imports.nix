# n3x: the imports of a generated host. A generated hosts/<node>/default.nix calls
#   imports = import ../../nix/host-imports.nix { dir = ./.; hardware = "n100"; longhorn = true; };
# The per-node files other n3x tools render into the host folder are imported only when
# present, so a host evaluates with whichever tools were run.
{
  dir,
  hardware,
  longhorn,
}:
[
  ./common.nix
  (./hardware + "/${hardware}.nix")
]
++ (if longhorn then [ ./longhorn-host.nix ] else [ ])
++ builtins.filter builtins.pathExists (
  map (file: dir + "/${file}") [
    "disko.nix"
    "disk-extra.nix"
    "network.nix"
    "secrets.nix"
    "k3s-manifests.nix"
  ]
)
