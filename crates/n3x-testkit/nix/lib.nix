# A stand-in for the part of nixpkgs' `lib` that NixOS modules use, for tests that cannot
# fetch nixpkgs (Nix 2.8, no network). Properties (mkIf, mkOverride, mkMerge, mkOrder)
# are tagged values that ./eval.nix discharges as lib/modules.nix does; types carry a
# name (for the generated docs), a check and how their definitions merge.
# Not nixpkgs: anything a module calls that is missing here fails evaluation loudly.
let
  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };
  mkOrder = priority: content: {
    _type = "order";
    inherit priority content;
  };
  mkType =
    {
      name,
      description,
      check,
      merge ? "unique",
      elem ? null,
    }:
    {
      _type = "option-type";
      inherit
        name
        description
        check
        merge
        elem
        ;
    };
  types = rec {
    bool = mkType {
      name = "bool";
      description = "boolean";
      check = builtins.isBool;
    };
    int = mkType {
      name = "int";
      description = "signed integer";
      check = builtins.isInt;
    };
    str = mkType {
      name = "str";
      description = "string";
      check = builtins.isString;
    };
    lines = mkType {
      name = "lines";
      description = "strings concatenated with \"\\n\"";
      check = builtins.isString;
      merge = "lines";
    };
    path = mkType {
      name = "path";
      description = "absolute path";
      check = x: builtins.isPath x || (builtins.isString x && builtins.substring 0 1 x == "/");
    };
    package = mkType {
      name = "package";
      description = "package";
      check = x: builtins.isAttrs x && x ? outPath;
    };
    attrs = mkType {
      name = "attrs";
      description = "attribute set";
      check = builtins.isAttrs;
      merge = "attrs";
    };
    anything = mkType {
      name = "anything";
      description = "anything";
      check = _: true;
      merge = "anything";
    };
    enum =
      values:
      mkType {
        name = "enum";
        description = "one of ${builtins.concatStringsSep ", " (map builtins.toJSON values)}";
        check = x: builtins.elem x values;
      };
    nullOr =
      t:
      mkType {
        name = "nullOr";
        description = "null or ${t.description}";
        check = x: x == null || t.check x;
        inherit (t) merge;
        elem = t;
      };
    listOf =
      t:
      mkType {
        name = "listOf";
        description = "list of ${t.description}";
        check = x: builtins.isList x && builtins.all t.check x;
        merge = "list";
        elem = t;
      };
    attrsOf =
      t:
      mkType {
        name = "attrsOf";
        description = "attribute set of ${t.description}";
        check = x: builtins.isAttrs x && builtins.all t.check (builtins.attrValues x);
        merge = "attrs";
        elem = t;
      };
    either =
      a: b:
      mkType {
        name = "either";
        description = "${a.description} or ${b.description}";
        check = x: a.check x || b.check x;
      };
    ints = {
      unsigned = int;
      positive = int;
      between = _: _: int;
    };
    port = int;
    nonEmptyStr = str;
    singleLineStr = str;
  };
in
rec {
  inherit types mkOverride mkOrder;
  mkOption =
    args:
    args
    // {
      _type = "option";
    };
  mkEnableOption =
    name:
    mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable ${name}.";
    };
  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  mkDefault = mkOverride 1000;
  mkOptionDefault = mkOverride 1500;
  mkForce = mkOverride 50;
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;
  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  optional = c: x: if c then [ x ] else [ ];
  optionals = c: xs: if c then xs else [ ];
  optionalAttrs = c: a: if c then a else { };
  optionalString = c: s: if c then s else "";
  concatStringsSep = builtins.concatStringsSep;
  concatMapStringsSep = sep: f: xs: builtins.concatStringsSep sep (map f xs);
  mapAttrs = builtins.mapAttrs;
  attrNames = builtins.attrNames;
  filterAttrs =
    pred: set:
    builtins.listToAttrs (
      builtins.concatMap (
        name:
        let
          v = set.${name};
        in
        if pred name v then [ { inherit name; value = v; } ] else [ ]
      ) (builtins.attrNames set)
    );
  genAttrs =
    names: f:
    builtins.listToAttrs (
      map (n: {
        name = n;
        value = f n;
      }) names
    );
  elem = builtins.elem;
  hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
  getExe' = pkg: bin: "${pkg}/bin/${bin}";
}
