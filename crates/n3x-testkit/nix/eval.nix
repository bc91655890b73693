# A small, honest stand-in for NixOS's evalModules, for tests on a machine with Nix 2.8
# and neither nixpkgs nor network. It does what lib/modules.nix does for the parts n3x
# uses, and no more:
#
# - follows `imports` (paths, functions, attribute sets; each file once, by path), calls
#   module functions with { config, options, lib, pkgs, modulesPath } and specialArgs;
# - tells full modules ({ options; config; }) from shorthand ones, as unifyModuleSyntax;
# - discharges mkIf / mkMerge / mkOverride (mkDefault, mkForce) / mkOrder the way
#   pushDownProperties, dischargeProperties and filterOverrides do, lazily, so a module
#   may read `config` in a condition;
# - merges definitions by the option's kind: lists concatenate, `lines` join with "\n",
#   attribute sets merge per attribute (each with its own priorities), other values must
#   agree or evaluation fails with "conflicting definitions";
# - knows where options are from the option manifest (`trie`, built by n3x-testkit from
#   reference/nixos-options.json) and from the n3x modules' own `options` declarations;
#   n3x options are type-checked with their declared types and get their defaults;
# - reports every defined path that is not an option, and every third-party option
#   (disko, sops-nix, jetpack-nixos, nixos-hardware) set on a host that does not import
#   that project's module.
#
# It is not NixOS: nixpkgs' own modules are not evaluated (their options come from the
# manifest, their config — assertions, systemd units, the boot loader — is not computed),
# third-party modules are empty stand-ins, manifest types are checked afterwards by
# n3x-testkit (release + value shape), computed defaults of nixpkgs options are not
# available (except the stand-in ones listed below), and `pkgs` is a set of stand-in
# derivations.
{
  lib,
  trie,
  pkgs,
  modulesPath,
}:
{
  modules,
  specialArgs ? { },
  ...
}:
let
  inherit (builtins)
    attrNames
    concatMap
    filter
    foldl'
    isAttrs
    isFunction
    isList
    toJSON
    ;

  uniq = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
  imap = f: xs: builtins.genList (i: f i (builtins.elemAt xs i)) (builtins.length xs);
  showPath = path: builtins.concatStringsSep "." path;
  tag = v: if isAttrs v then v._type or null else null;

  args =
    specialArgs
    // {
      inherit
        lib
        config
        options
        pkgs
        modulesPath
        ;
    };

  # --- collecting modules -------------------------------------------------------------
  item =
    fallbackKey: m:
    let
      pathLike = builtins.isPath m || builtins.isString m;
      raw = if pathLike then import m else m;
      v = if isFunction raw then raw (builtins.intersectAttrs (builtins.functionArgs raw) args) else raw;
      full = v ? config || v ? options;
      meta = [
        "_class"
        "_file"
        "key"
        "disabledModules"
        "imports"
        "options"
        "config"
        "meta"
        "freeformType"
      ];
    in
    {
      key = if pathLike then toString m else v.key or fallbackKey;
      file = if pathLike then toString m else v._file or fallbackKey;
      imports = v.imports or [ ];
      options = v.options or { };
      config = if full then v.config or { } else removeAttrs v meta;
    };
  items = builtins.genericClosure {
    startSet = imap (i: item "module ${toString i}") modules;
    operator = it: imap (i: item "${it.key}, import ${toString i}") it.imports;
  };
  standIns = map (it: builtins.substring 9 100 it.key) (
    filter (it: builtins.substring 0 9 it.key == "stand-in:") items
  );

  # --- where options are ----------------------------------------------------------------
  declToNode =
    file: o:
    if tag o == "option" then
      {
        c = { };
        leaf = {
          merge = o.type.merge or "unique";
          decl = o;
          inherit file;
          from = "n3x";
        };
      }
    else
      {
        c = builtins.mapAttrs (_: declToNode file) o;
        leaf = null;
      };
  mergeNode = path: a: b: {
    c =
      a.c
      // b.c
      // builtins.mapAttrs (n: _: mergeNode (path ++ [ n ]) a.c.${n} b.c.${n}) (
        builtins.intersectAttrs a.c b.c
      );
    leaf =
      if a.leaf != null && b.leaf != null then
        throw "the option `${showPath path}' is declared twice (${a.leaf.file or "manifest"}, ${b.leaf.file or "manifest"})"
      else if a.leaf != null then
        a.leaf
      else
        b.leaf;
  };
  root = foldl' (mergeNode [ ]) trie (map (it: declToNode it.file it.options) items);
  options = root;

  # --- definitions and their properties ------------------------------------------------
  defs = map (it: {
    inherit (it) file;
    value = it.config;
  }) items;

  child =
    path: n: v:
    let
      t = tag v;
    in
    if t == "if" then
      map (lib.mkIf v.condition) (child path n v.content)
    else if t == "merge" then
      concatMap (child path n) v.contents
    else if t == "override" then
      map (lib.mkOverride v.priority) (child path n v.content)
    else if t == "order" then
      child path n v.content
    else if isAttrs v then
      (if v ? ${n} then [ v.${n} ] else [ ])
    else
      throw "`${showPath path}' is not an option, but a definition gives it a non-attribute-set value";
  childDefs =
    path: n: ds:
    concatMap (
      d:
      map (value: {
        inherit (d) file;
        inherit value;
      }) (child path n d.value)
    ) ds;
  namesOf =
    v:
    let
      t = tag v;
    in
    if t == "if" then
      (if v.condition then namesOf v.content else [ ])
    else if t == "merge" then
      concatMap namesOf v.contents
    else if t == "override" || t == "order" then
      namesOf v.content
    else if isAttrs v then
      attrNames v
    else
      [ ];
  resolve =
    v:
    let
      t = tag v;
    in
    if t == "if" then
      (if v.condition then resolve v.content else [ ])
    else if t == "merge" then
      concatMap resolve v.contents
    else if t == "override" then
      map (d: d // { prio = if d.prio == null then v.priority else d.prio; }) (resolve v.content)
    else if t == "order" then
      resolve v.content
    else
      [
        {
          prio = null;
          value = v;
        }
      ];
  resolved =
    ds:
    concatMap (
      d:
      map (r: r // { inherit (d) file; }) (resolve d.value)
    ) ds;

  # Computed defaults the evaluator stands in for (the real modules compute them).
  standInDefaults = {
    "sops.secrets.<name>.path" = path: "/run/secrets/${builtins.elemAt path 2}";
  };

  prioOf = r: if r.prio == null then 100 else r.prio;
  mergeValues =
    path: kind: kept:
    let
      values = map (r: r.value) kept;
      files = builtins.concatStringsSep ", " (uniq (map (r: r.file) kept));
      first = builtins.head values;
    in
    if kind == "list" then
      (
        if builtins.all isList values then
          builtins.concatLists values
        else
          throw "`${showPath path}' is a list option, but ${files} give it something else"
      )
    else if kind == "coercedList" then
      (
        if builtins.all isList values then
          builtins.concatLists values
        else
          foldl' (a: v: a // (if isList v then lib.genAttrs v (_: true) else v)) { } values
      )
    else if kind == "lines" then
      builtins.concatStringsSep "\n" values
    else if (kind == "attrs" || kind == "anything") && builtins.all isAttrs values then
      let
        names = uniq (concatMap attrNames values);
      in
      lib.genAttrs names (
        n:
        evalLeaf (path ++ [ n ])
          {
            merge = "anything";
            from = "n3x";
          }
          (
            map (r: {
              inherit (r) file;
              value = r.value.${n};
            }) (filter (r: r.value ? ${n}) kept)
          )
      )
    else if kind == "anything" && builtins.all isList values then
      builtins.concatLists values
    else if builtins.all (v: v == first) values then
      first
    else
      throw "conflicting definitions for `${showPath path}': ${toJSON values} (in ${files})";

  evalLeaf =
    path: leaf: ds:
    let
      rs = resolved ds;
      best = foldl' (m: r: if prioOf r < m then prioOf r else m) 99999 rs;
      kept = filter (r: prioOf r == best) rs;
      value =
        if kept != [ ] then
          mergeValues path leaf.merge kept
        else if leaf ? decl then
          (
            if leaf.decl ? default then
              leaf.decl.default
            else
              throw "the option `${showPath path}' is used but not defined"
          )
        else if leaf ? pattern && standInDefaults ? ${leaf.pattern} then
          standInDefaults.${leaf.pattern} path
        else if leaf.hasDefault or false then
          leaf.default
        else
          throw "`${showPath path}' is read but not set, and its default is computed by its module, which this evaluator does not run";
    in
    if leaf ? decl && !(leaf.decl.type.check value) then
      throw "the option `${showPath path}' is not of type ${leaf.decl.type.description}: ${toJSON value} (in ${
        builtins.concatStringsSep ", " (uniq (map (r: r.file) kept))
      })"
    else
      value;

  evalNode =
    path: node: ds:
    if node.leaf != null then
      evalLeaf path node.leaf ds
    else
      let
        static = filter (n: n != "<name>") (attrNames node.c);
        names =
          if node.c ? "<name>" then uniq (static ++ concatMap (d: namesOf d.value) ds) else static;
      in
      lib.genAttrs names (
        n: evalNode (path ++ [ n ]) (node.c.${n} or node.c."<name>") (childDefs path n ds)
      );

  config = evalNode [ ] root defs;

  # --- the report: what is defined, and what is not an option --------------------------
  walk =
    path: node: value: ds:
    if node.leaf != null then
      let
        from = node.leaf.from or "nixpkgs";
        missing = from != "nixpkgs" && from != "n3x" && !(builtins.elem from standIns);
      in
      {
        defined = resolved ds != [ ];
        inherit value;
        unknown =
          if missing && resolved ds != [ ] then
            [ "${showPath path} (declared by ${from}, whose module this host does not import)" ]
          else
            [ ];
      }
    else
      let
        names = uniq (concatMap (d: namesOf d.value) ds);
        known = filter (n: node.c ? ${n} || node.c ? "<name>") names;
        unknownHere = map (n: showPath (path ++ [ n ])) (filter (n: !(builtins.elem n known)) names);
        sub = lib.genAttrs known (
          n: walk (path ++ [ n ]) (node.c.${n} or node.c."<name>") value.${n} (childDefs path n ds)
        );
        definedNames = filter (n: sub.${n}.defined) known;
      in
      {
        defined = definedNames != [ ];
        value = lib.genAttrs definedNames (n: sub.${n}.value);
        unknown = unknownHere ++ concatMap (n: sub.${n}.unknown) known;
      };
  report = walk [ ] root config defs;
in
{
  inherit config options;
  # Only the options some module defines, merged: what tests assert on.
  defined = report.value;
  inherit (report) unknown;
  files = map (it: it.file) items;
}
