# Stand-in for nixpkgs' nixos/modules/profiles/minimal.nix: an empty module. The real profile
# only sets defaults of nixpkgs options, which the test evaluator does not compute.
{ }
