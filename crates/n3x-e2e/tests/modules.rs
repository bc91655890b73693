//! The n3x repository's own flake and NixOS modules:
//! - docs/nixos-modules.md is generated from the modules' option declarations (evaluated
//!   with the real nix-instantiate); the test fails when it is stale
//!   (`N3X_UPDATE_GOLDEN=1` rewrites it);
//! - flake.nix's outputs evaluate with stubbed inputs (no network): packages, nixosModules,
//!   devShells, templates and checks have the expected attribute names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::process::Command;

use serde_json::{json, Value};

const INTRO: &str = "# n3x NixOS modules: options

Generated from the option declarations in `nix/modules/` by `crates/n3x-e2e/tests/modules.rs`
(`N3X_UPDATE_GOLDEN=1 cargo test -p n3x-e2e --test modules` rewrites it; the test fails when it
is stale). Do not edit by hand.

The repository's `flake.nix` exports `nixosModules.default` (every concern below) and one module
per concern (`base`, `admin`, `k3s`, `longhorn`, `tuning`, `snapshots`, `auto-upgrade`) and per
hardware profile (`hardware-n100`, `hardware-generic-x86_64`, `hardware-generic-aarch64`,
`hardware-jetson-orin-nano`, `hardware-rpi4`, `hardware-rpi5`). A cluster flake rendered by
`n3x-inventory render-flake` imports `inputs.n3x.nixosModules.default`, the node's hardware
module, and the third-party modules the node needs (disko, sops-nix, jetpack-nixos for a
Jetson, nixos-hardware's `raspberry-pi-4`/`-5` for a Pi) in its module list. Every policy
setting is a default (`mkDefault` or an option default), so `hosts/<node>/local.nix` or
`modules/local.nix` override it without `mkForce`.

Choices worth knowing:

- **Kubeconfig.** Servers run k3s with `--write-kubeconfig-mode=0640` and
  `--write-kubeconfig-group=<n3x.k3s.kubeconfigGroup>` (default `wheel`, which the admin user is
  in) and set `KUBECONFIG=/etc/rancher/k3s/k3s.yaml`, so `ssh admin@server kubectl get nodes`
  works without sudo. Agents have no kubeconfig.
- **Admin user.** `n3x.admin.name` (default `admin`) is a normal user in `wheel` with the
  inventory's SSH keys and password-less sudo (there is no password: login is key-only);
  root keeps the same keys (`n3x.admin.rootKeys`) for nixos-anywhere and
  `nixos-rebuild --target-host`, with `PermitRootLogin = prohibit-password`.
- **Snapshots.** On btrfs layouts snapper snapshots `/` only (24 hourly, 7 daily, 4 weekly,
  3 monthly, no yearly); `/nix` is rebuilt from the flake and `/var` holds k3s's images and
  volumes. A tmpfiles `v` rule creates `/.snapshots` as a subvolume.
- **Raspberry Pi boot.** nixos-hardware's `hardware.raspberry-pi.firmware` module (from
  nixos-hardware f54c3bcb, 2026-07; the cluster flake pins 0471acc) fills the `sdcard`
  layout's firmware partition at `/boot/firmware` from its activation script (firmware,
  `config.txt`, and with `uboot.enable` U-Boot, which then boots the generation from
  extlinux). Not verified on hardware: the script runs on activation, so the first
  `nixos-anywhere` install must activate the system once for the partition to be filled.
- **Jetson GPU.** `hardware.graphics.enable`, `hardware.nvidia-container-toolkit.enable` and a
  containerd template (`services.k3s.containerdConfigTemplate`, containerd 2 / config v3
  keys) that adds the `nvidia` runtime the RuntimeClass names, with
  `${pkgs.nvidia-container-toolkit}/bin/nvidia-container-runtime` as the binary (the package
  output holding that binary is not verified against nixpkgs 26.05).

## How the modules are tested (and what that does not cover)

There is no nixpkgs and no network in CI, so `crates/n3x-testkit/nix/eval.nix` stands in for
`lib.evalModules`: it follows imports, calls module functions, discharges `mkIf`, `mkMerge`,
`mkDefault`/`mkForce`/`mkOverride` and `mkBefore`/`mkAfter`, merges definitions (lists
concatenate, `lines` join, attribute sets merge per attribute, anything else must agree),
applies n3x option defaults and types, and reports every path that is not an option (nixpkgs
options come from `reference/nixos-options.json`, n3x options from their declarations) or
belongs to a third-party module the host does not import. The result is then checked against
the option reference for the release the flake pins (`addedIn`/`removedIn`) and for value
shapes. It does **not** evaluate nixpkgs' own modules (no assertions, warnings, systemd units,
boot loader or derived defaults), third-party modules are empty stand-ins, `pkgs` holds stand-in
derivations, submodule options below a manifest entry are not type-checked beyond the manifest,
and nothing is built. A machine with network runs `nix flake check` (and `nix build
.#nixosConfigurations.<node>.config.system.build.toplevel`) for that.

## Options

";

fn render_doc(options: &Value) -> String {
    let mut out = String::from(INTRO);
    let mut list: Vec<&Value> = options.as_array().unwrap().iter().collect();
    list.sort_by_key(|o| o["path"].as_str().unwrap().to_string());
    for o in list {
        let _ = writeln!(out, "### `{}`\n", o["path"].as_str().unwrap());
        let _ = writeln!(out, "{}\n", o["description"].as_str().unwrap());
        let _ = writeln!(out, "- type: {}", o["type"].as_str().unwrap());
        if let Some(d) = o.get("defaultText") {
            let _ = writeln!(out, "- default: `{}`", d.as_str().unwrap());
        } else if let Some(d) = o.get("default") {
            let _ = writeln!(out, "- default: `{d}`");
        } else {
            out.push_str("- default: none (must be set)\n");
        }
        if let Some(e) = o.get("example") {
            let _ = writeln!(out, "- example: `{e}`");
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_module_options_page_is_generated_from_the_declarations() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let options = n3x_testkit::nixos_eval::n3x_option_declarations(&nix);
    let count = options.as_array().unwrap().len();
    assert!(count >= 25, "only {count} n3x options declared");
    let doc = render_doc(&options);
    let path = n3x_testkit::repo_root().join("docs/nixos-modules.md");
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == doc,
        "docs/nixos-modules.md is stale: run N3X_UPDATE_GOLDEN=1 cargo test -p n3x-e2e --test modules"
    );
    for p in
        ["n3x.role", "n3x.longhorn.enable", "n3x.tuning.n100.enable", "n3x.k3s.kubeconfigGroup", "n3x.admin.sshKeys"]
    {
        assert!(doc.contains(&format!("### `{p}`")), "{p}");
    }
}

#[test]
fn the_repository_flake_has_every_output_with_stubbed_inputs() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let root = n3x_testkit::repo_root();
    // nixpkgs stand-in: genAttrs and a package set whose callPackage/mkShell return tagged
    // sets, so the outputs' structure evaluates without fetching nixpkgs.
    let expr = format!(
        r#"let
  flake = import {root}/flake.nix;
  lib = {{ genAttrs = names: f: builtins.listToAttrs (map (n: {{ name = n; value = f n; }}) names); }};
  pkgsFor = system: {{
    stdenv.hostPlatform.system = system;
    callPackage = path: args: {{ type = "derivation"; stand-in = "callPackage"; file = baseNameOf (toString path); }};
    mkShell = args: {{ type = "derivation"; stand-in = "mkShell"; inputs = builtins.length args.inputsFrom; }};
    age = "age"; sops = "sops"; shellcheck = "shellcheck"; check-jsonschema = "check-jsonschema";
  }};
  nixpkgs = {{ inherit lib; legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] pkgsFor; }};
  self = flake.outputs {{ inherit self nixpkgs; }};
  names = builtins.attrNames;
in {{
  inputs = flake.inputs;
  outputs = names self;
  packages = builtins.mapAttrs (_: p: p.default.file) self.packages;
  devShells = builtins.mapAttrs (_: s: s.default.stand-in) self.devShells;
  nixosModules = names self.nixosModules;
  moduleFiles = builtins.all builtins.pathExists (builtins.attrValues self.nixosModules);
  templates = builtins.mapAttrs (_: t: {{ inherit (t) description; path = baseNameOf (toString t.path); exists = builtins.pathExists (t.path + "/inventory.yaml"); }}) self.templates;
  checks = builtins.mapAttrs (_: names) self.checks;
}}"#,
        root = root.display()
    );
    let out = Command::new(&nix)
        .args(["--eval", "--strict", "--json", "--expr", &expr])
        .env("NIX_STATE_DIR", std::env::temp_dir().join("n3x-nix-state"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"]["nixpkgs"]["url"], json!("github:NixOS/nixpkgs/nixos-26.05"));
    assert_eq!(v["outputs"], json!(["checks", "devShells", "nixosModules", "packages", "templates"]));
    let systems = json!({"aarch64-linux": "package.nix", "x86_64-linux": "package.nix"});
    assert_eq!(v["packages"], systems);
    assert_eq!(v["devShells"], json!({"aarch64-linux": "mkShell", "x86_64-linux": "mkShell"}));
    assert_eq!(v["checks"], json!({"aarch64-linux": ["package"], "x86_64-linux": ["package"]}));
    let modules: Vec<&str> = v["nixosModules"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for m in [
        "default",
        "base",
        "admin",
        "k3s",
        "longhorn",
        "tuning",
        "snapshots",
        "auto-upgrade",
        "hardware-n100",
        "hardware-rpi4",
        "hardware-jetson-orin-nano",
    ] {
        assert!(modules.contains(&m), "nixosModules.{m} missing: {modules:?}");
    }
    assert_eq!(modules.len(), 14);
    assert_eq!(v["moduleFiles"], json!(true));
    assert_eq!(v["templates"]["default"]["path"], json!("default"));
    assert_eq!(v["templates"]["default"]["exists"], json!(true));
    // Every file the template promises is there.
    for f in ["inventory.yaml", "Makefile", ".gitignore", "README.md"] {
        assert!(root.join("templates/default").join(f).is_file(), "templates/default/{f}");
    }
}
