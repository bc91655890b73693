# The n3x modules' option declarations as data, for the generated docs page
# (docs/nixos-modules.md): every option under `n3x`, sorted by path, with its type,
# default (or defaultText), description and example. Evaluated with the stand-in lib,
# whose types carry the descriptions the page shows.
{ n3xDir }:
let
  lib = import ./lib.nix;
  modules = import (n3xDir + "/nix/modules/exports.nix");
  collect =
    path: o:
    if (o._type or null) == "option" then
      [
        (
          {
            path = builtins.concatStringsSep "." path;
            type = o.type.description;
            description = o.description or "";
          }
          // (
            if o ? defaultText then
              { defaultText = o.defaultText; }
            else if o ? default then
              { inherit (o) default; }
            else
              { }
          )
          // (if o ? example then { inherit (o) example; } else { })
        )
      ]
    else
      builtins.concatMap (n: collect (path ++ [ n ]) o.${n}) (builtins.attrNames o);
  declared =
    file:
    let
      m = import file;
      v = if builtins.isFunction m then m {
        inherit lib;
        config = throw "options-doc: a declaration reads config; give it a defaultText";
        pkgs = throw "options-doc: a declaration reads pkgs; give it a defaultText";
        modulesPath = ./stand-in/modules;
      } else m;
    in
    v.options or { };
  files = builtins.filter (n: n != "default") (builtins.attrNames modules);
in
builtins.concatMap (n: collect [ ] (declared modules.${n})) files
