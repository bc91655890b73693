# n3x hardware profile: NVIDIA Jetson Orin Nano developer kit. Needs jetpack-nixos's
# module, which the cluster flake imports next to this one (it declares the
# hardware.nvidia-jetpack options).
{ lib, ... }:
{
  n3x.hardware = "jetson-orin-nano";

  hardware.nvidia-jetpack.enable = true;
  # jetpack-nixos takes the major version as a string.
  hardware.nvidia-jetpack.majorVersion = lib.mkDefault "6";
  hardware.nvidia-jetpack.som = lib.mkDefault "orin-nano";
  hardware.nvidia-jetpack.carrierBoard = lib.mkDefault "devkit";

  hardware.graphics.enable = lib.mkDefault true;
  # The NVIDIA container toolkit (CDI specs) plus the `nvidia` runtime in k3s's
  # containerd give pods using the `nvidia` RuntimeClass (n3x-kube-bootstrap) the GPU.
  hardware.nvidia-container-toolkit.enable = lib.mkDefault true;
  n3x.k3s.nvidiaRuntime.enable = lib.mkDefault true;

  boot.loader.systemd-boot.enable = lib.mkDefault true;
  boot.loader.efi.canTouchEfiVariables = lib.mkDefault true;
}
