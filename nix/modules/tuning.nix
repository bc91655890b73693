# n3x: the seeds' tuning for Intel N100 nodes, on by default for the n100 profile
# (opt out with `n3x.tuning.n100.enable = false`).
{ config, lib, ... }:
let
  cfg = config.n3x.tuning.n100;
in
{
  options.n3x.tuning.n100.enable = lib.mkOption {
    type = lib.types.bool;
    default = config.n3x.hardware == "n100";
    defaultText = "config.n3x.hardware == \"n100\"";
    description = "Whether to apply the N100 tuning: NVMe I/O scheduler `none`, `intel_idle.max_cstate=1` (latency over idle power), `vm.swappiness = 10`, `vm.vfs_cache_pressure = 50`.";
  };

  config = lib.mkIf cfg.enable {
    # NVMe queues do their own scheduling; a kernel scheduler only adds latency.
    services.udev.extraRules = ''
      ACTION=="add|change", KERNEL=="nvme[0-9]*n[0-9]*", ATTR{queue/scheduler}="none"
    '';
    boot.kernelParams = [ "intel_idle.max_cstate=1" ];
    boot.kernel.sysctl."vm.swappiness" = lib.mkDefault 10;
    boot.kernel.sysctl."vm.vfs_cache_pressure" = lib.mkDefault 50;
  };
}
