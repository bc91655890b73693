# n3x: k3s wiring that is policy, not per-node data. The generated host sets the node's
# own k3s settings (cluster init or server address, node name, labels, taints, flags);
# this module turns k3s on in the node's role, lets the admin user read the kubeconfig,
# bounds containerd's image cache and gives containerd the NVIDIA runtime on GPU nodes.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.n3x.k3s;
  server = config.n3x.role == "server";
  kubeconfig = "/etc/rancher/k3s/k3s.yaml";
  # k3s >= 1.31 ships containerd 2 and reads a version-3 template; "base" is k3s's own
  # generated configuration, to which the runtime is added. NixOS passes the text with
  # `--containerd-config-template FILE`, so the file name (config.toml.tmpl versus
  # config-v3.toml.tmpl) does not matter, only the plugin names: containerd 2's CRI runtime
  # plugin is 'io.containerd.cri.v1.runtime' (v2 configs said "io.containerd.grpc.v1.cri").
  # `--write-kubeconfig-group` exists since k3s v1.30.2 (k3s-io/k3s#9209, backported to
  # 1.27.14/1.28.10/1.29.x); nixos-26.05's k3s is newer.
  nvidiaTemplate = ''
    {{ template "base" . }}

    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia]
      runtime_type = "io.containerd.runc.v2"

    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia.options]
      BinaryName = "${cfg.nvidiaRuntime.binary}"
      SystemdCgroup = true
  '';
in
{
  options.n3x.k3s = {
    enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Whether the node runs k3s in `n3x.role`.";
    };
    kubeconfigGroup = lib.mkOption {
      type = lib.types.str;
      default = "wheel";
      description = "Group that may read the server's kubeconfig (`${kubeconfig}`, written mode 0640 through k3s's `--write-kubeconfig-mode` and `--write-kubeconfig-group`), so `ssh admin@server kubectl get nodes` works without sudo. The admin user is in wheel.";
    };
    imageGC.highThresholdPercent = lib.mkOption {
      type = lib.types.int;
      default = 85;
      description = "Disk usage (percent of the image filesystem, /var) at which the kubelet starts deleting unused images from k3s's containerd.";
    };
    imageGC.lowThresholdPercent = lib.mkOption {
      type = lib.types.int;
      default = 70;
      description = "Disk usage the kubelet's image garbage collection frees down to.";
    };
    nvidiaRuntime.enable = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Whether k3s's containerd gets the `nvidia` runtime that n3x-kube-bootstrap's `nvidia` RuntimeClass names (set by the Jetson profile).";
    };
    nvidiaRuntime.binary = lib.mkOption {
      type = lib.types.str;
      default = "${pkgs.nvidia-container-toolkit}/bin/nvidia-container-runtime";
      defaultText = "\${pkgs.nvidia-container-toolkit}/bin/nvidia-container-runtime";
      description = "The OCI runtime binary behind the `nvidia` runtime.";
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        services.k3s.enable = true;
        services.k3s.role = config.n3x.role;
        # k3s and its pods expect a drained node to stop gracefully rather than be killed.
        services.k3s.gracefulNodeShutdown.enable = lib.mkDefault true;
        services.k3s.extraKubeletConfig = {
          imageGCHighThresholdPercent = lib.mkDefault cfg.imageGC.highThresholdPercent;
          imageGCLowThresholdPercent = lib.mkDefault cfg.imageGC.lowThresholdPercent;
        };
      }
      (lib.mkIf server {
        services.k3s.extraFlags = [
          "--write-kubeconfig-mode=0640"
          "--write-kubeconfig-group=${cfg.kubeconfigGroup}"
        ];
        environment.variables.KUBECONFIG = kubeconfig;
      })
      (lib.mkIf cfg.nvidiaRuntime.enable {
        services.k3s.containerdConfigTemplate = nvidiaTemplate;
      })
    ]
  );
}
