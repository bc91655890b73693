# n3x: every tool of the workspace as one package, built from the committed Cargo.lock
# with nixpkgs' Rust tooling. scripts/render, when present, is installed as n3x-render
# (render a whole cluster repository) with the tools on its PATH.
{
  lib,
  rustPlatform,
  pkg-config,
  openssl,
  makeWrapper,
}:
let
  cargoToml = builtins.fromTOML (builtins.readFile ../Cargo.toml);
in
rustPlatform.buildRustPackage {
  pname = "n3x";
  inherit (cargoToml.workspace.package) version;
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../crates
      ../nix
      ../reference
      ../schemas
      ../examples
      ../scripts
    ];
  };
  cargoLock.lockFile = ../Cargo.lock;
  # ssh2 (the probe) links the system OpenSSL.
  nativeBuildInputs = [
    pkg-config
    makeWrapper
  ];
  buildInputs = [ openssl ];
  cargoBuildFlags = [ "--workspace" ];
  # The integration tests run the real external tools (nix-instantiate, sops, sshd …)
  # and are run by `make test`, not inside the sandbox.
  doCheck = false;
  postInstall = ''
    if [ -f scripts/render ]; then
      install -Dm755 scripts/render $out/bin/n3x-render
      wrapProgram $out/bin/n3x-render --prefix PATH : $out/bin
    fi
  '';
  meta = {
    description = "Small Unix tools that turn one inventory of a NixOS + k3s edge cluster into everything needed to install and run it";
    mainProgram = "n3x-inventory";
  };
}
