# n3x hardware profile: Raspberry Pi 5, through nixos-hardware (which also sets up
# the extlinux boot loader the Pi firmware starts).
{ inputs, ... }:
{
  imports = [ inputs.nixos-hardware.nixosModules.raspberry-pi-5 ];
}
