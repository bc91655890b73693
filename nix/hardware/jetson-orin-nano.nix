# n3x hardware profile: NVIDIA Jetson Orin Nano developer kit, through jetpack-nixos.
{ inputs, ... }:
{
  imports = [ inputs.jetpack-nixos.nixosModules.default ];

  hardware.nvidia-jetpack.enable = true;
  # jetpack-nixos takes the major version as a string.
  hardware.nvidia-jetpack.majorVersion = "6";
  hardware.nvidia-jetpack.som = "orin-nano";
  hardware.nvidia-jetpack.carrierBoard = "devkit";
  # The NVIDIA container toolkit gives k3s's containerd the GPU runtime that the
  # device plugin and the `nvidia` RuntimeClass (n3x-kube-bootstrap) use.
  hardware.nvidia-container-toolkit.enable = true;

  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;
}
