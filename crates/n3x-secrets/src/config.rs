//! `.sops.yaml`: reading creation rules and picking the one for a file the way sops
//! does (§11: first match wins, `path_regex` unanchored against the path relative to
//! the config's folder), and writing one for a cluster (`sops-config`).
//!
//! Pure: the caller finds and reads the file; the cluster comes in as a value.

use n3x_core::cluster::Cluster;
use n3x_core::model::Role;

use crate::identity;
use crate::sops::{CryptRule, RULE_FIELDS};
use crate::tree::{self, MapItem, Node, Scalar};

/// One creation rule.
#[derive(Debug, Clone, Default)]
pub struct Rule {
    /// `path_regex` (none matches every file).
    pub path_regex: Option<String>,
    /// age recipients (one key group).
    pub age: Vec<String>,
    /// Two or more key groups (Shamir); empty otherwise.
    pub key_groups: Vec<Vec<String>>,
    /// `shamir_threshold`.
    pub shamir_threshold: Option<usize>,
    /// Crypt rule, if the rule sets one.
    pub crypt: Option<CryptRule>,
    /// `mac_only_encrypted`.
    pub mac_only_encrypted: bool,
}

/// A parsed `.sops.yaml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Rules in order.
    pub rules: Vec<Rule>,
    /// `stores.json.indent` (None = tab).
    pub json_indent: Option<usize>,
    /// Matchers, built once by [`Config::index`] (a generated `.sops.yaml` has one rule per
    /// node, and every file of a render is looked up: compiling per lookup was quadratic).
    index: Option<RuleIndex>,
}

/// Rules whose regex is an anchored literal (`^secrets/hosts/n1\.yaml$`, as `sops-config`
/// writes them) by their path, the compiled regex of every other rule.
#[derive(Debug, Clone, Default)]
struct RuleIndex {
    literal: std::collections::BTreeMap<String, usize>,
    other: Vec<(usize, Option<regex::Regex>)>,
}

/// The path an anchored regex matches when it matches exactly one (`^a/b\.yaml$`).
fn literal_of(re: &str) -> Option<String> {
    let body = re.strip_prefix('^')?.strip_suffix('$')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let n = chars.next()?;
                if !"\\.+*?()|[]{}^$-/".contains(n) {
                    return None;
                }
                out.push(n);
            }
            c if "\\.+*?()|[]{}^$".contains(c) => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fn key_list(v: &Node, what: &str) -> Result<Vec<String>, String> {
    match v {
        Node::Scalar(Scalar::Str(s)) => {
            Ok(s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect())
        }
        Node::Seq(items) => items
            .iter()
            .filter(|i| !matches!(i, Node::Comment(_)))
            .map(|i| {
                i.as_str().map(|s| s.trim().to_string()).ok_or_else(|| format!("{what}: every entry must be a string"))
            })
            .collect(),
        Node::Scalar(Scalar::Null) => Ok(Vec::new()),
        _ => Err(format!("{what}: expected a comma-separated string or a list of strings")),
    }
}

/// Parses `.sops.yaml` text. `name` is used in messages.
pub fn parse(text: &str, name: &str) -> Result<Config, String> {
    let docs = tree::parse_yaml(text).map_err(|e| format!("{name}: {e}"))?;
    let root = docs.into_iter().next().unwrap_or(Node::Map(Vec::new()));
    let mut cfg = Config::default();
    if let Some(stores) = root.get("stores") {
        if let Some(Node::Scalar(Scalar::Int(n))) = stores.get("json").and_then(|j| j.get("indent")) {
            cfg.json_indent = usize::try_from(*n).ok();
        }
    }
    let Some(rules) = root.get("creation_rules") else {
        return Ok(cfg);
    };
    let Node::Seq(items) = rules else {
        return Err(format!("{name}: creation_rules must be a list"));
    };
    for (i, r) in items.iter().filter(|n| !matches!(n, Node::Comment(_))).enumerate() {
        let at = format!("{name}: creation_rules[{i}]");
        if !matches!(r, Node::Map(_)) {
            return Err(format!("{at}: each rule must be a map"));
        }
        let mut rule = Rule::default();
        match r.get("path_regex") {
            None | Some(Node::Scalar(Scalar::Null)) => {}
            Some(Node::Scalar(Scalar::Str(s))) => {
                regex::Regex::new(s).map_err(|e| format!("{at}.path_regex {s:?} is not a valid regex: {e}"))?;
                rule.path_regex = Some(s.clone());
            }
            Some(_) => return Err(format!("{at}.path_regex must be a string")),
        }
        if let Some(groups) = r.get("key_groups") {
            let Node::Seq(groups) = groups else {
                return Err(format!("{at}.key_groups must be a list"));
            };
            let groups: Vec<&Node> = groups.iter().filter(|n| !matches!(n, Node::Comment(_))).collect();
            let mut all = Vec::new();
            for (gi, g) in groups.iter().enumerate() {
                all.push(match g.get("age") {
                    Some(a) => key_list(a, &format!("{at}.key_groups[{gi}].age"))?,
                    None => Vec::new(),
                });
            }
            if all.len() == 1 {
                rule.age = all.pop().unwrap_or_default();
            } else {
                rule.key_groups = all;
            }
            if let Some(Node::Scalar(Scalar::Int(n))) = r.get("shamir_threshold") {
                rule.shamir_threshold = usize::try_from(*n).ok();
            }
        } else if let Some(a) = r.get("age") {
            rule.age = key_list(a, &format!("{at}.age"))?;
        }
        let mut crypt = Vec::new();
        for f in RULE_FIELDS {
            if let Some(Node::Scalar(Scalar::Str(v))) = r.get(f) {
                crypt.push((*f, v.clone()));
            }
        }
        if crypt.len() > 1 {
            return Err(format!("{at}: only one of {} may be set", RULE_FIELDS.join(", ")));
        }
        if let Some((f, v)) = crypt.pop() {
            rule.crypt = Some(
                CryptRule::from_field(f, v)
                    .ok_or_else(|| format!("{at}.{f}: comment-based crypt rules are not supported"))?,
            );
        }
        rule.mac_only_encrypted = matches!(r.get("mac_only_encrypted"), Some(Node::Scalar(Scalar::Bool(true))));
        cfg.rules.push(rule);
    }
    cfg.index();
    Ok(cfg)
}

impl Rule {
    /// The rule's recipients as key groups.
    pub fn groups(&self) -> Vec<Vec<String>> {
        if self.key_groups.is_empty() {
            vec![self.age.clone()]
        } else {
            self.key_groups.clone()
        }
    }
}

impl Config {
    /// Builds the matchers for [`Config::rule_for`] (done by [`parse`]; call again after
    /// changing `rules`).
    pub fn index(&mut self) {
        let mut idx = RuleIndex::default();
        for (i, r) in self.rules.iter().enumerate() {
            match &r.path_regex {
                Some(re) => match literal_of(re) {
                    Some(lit) => {
                        idx.literal.entry(lit).or_insert(i);
                    }
                    None => idx.other.push((i, regex::Regex::new(re).ok())),
                },
                None => idx.other.push((i, None)),
            }
        }
        self.index = Some(idx);
    }

    /// The first rule matching `rel_path` (the file's path relative to the config's folder).
    pub fn rule_for(&self, rel_path: &str) -> Option<&Rule> {
        let Some(idx) = &self.index else {
            return self.rules.iter().find(|r| match &r.path_regex {
                None => true,
                Some(re) => regex::Regex::new(re).is_ok_and(|re| re.is_match(rel_path)),
            });
        };
        let literal = idx.literal.get(rel_path).copied();
        // First match wins: a non-literal rule before the literal one takes precedence.
        let other = idx
            .other
            .iter()
            .take_while(|(i, _)| literal.is_none_or(|l| *i < l))
            .find(|(i, re)| match re {
                None => self.rules[*i].path_regex.is_none(),
                Some(re) => re.is_match(rel_path),
            })
            .map(|(i, _)| *i);
        other.or(literal).and_then(|i| self.rules.get(i))
    }
}

/// Where the file with this secret lives, relative to the repository, and who reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFile {
    /// Path relative to the `.sops.yaml` folder, e.g. `secrets/cluster.yaml`.
    pub path: String,
    /// What it holds, for the comment in `.sops.yaml`.
    pub purpose: String,
    /// (name, recipient) pairs, admins first.
    pub readers: Vec<(String, String)>,
}

/// The k3s server token key (in `secrets/cluster.yaml`).
pub const SERVER_TOKEN: &str = "k3s-token";
/// The k3s agent token key (in `secrets/agent.yaml`).
pub const AGENT_TOKEN: &str = "k3s-agent-token";
/// File of the cluster-wide server secrets.
pub const CLUSTER_FILE: &str = "secrets/cluster.yaml";
/// File of the agent token (readable by every node).
pub const AGENT_FILE: &str = "secrets/agent.yaml";

/// The per-host secrets file of a node.
pub fn host_file(node: &str) -> String {
    format!("secrets/hosts/{node}.yaml")
}

/// Which recipients read which file, from the cluster (warnings for nodes without
/// a usable host key and admins without a usable key).
pub fn plan(cluster: &Cluster, extra_admins: &[String]) -> (Vec<SecretFile>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut admins: Vec<(String, String)> =
        extra_admins.iter().map(|r| ("extra admin (--add-admin)".to_string(), r.clone())).collect();
    for a in &cluster.admins {
        let mut n = 0;
        for r in &a.age_recipients {
            admins.push((format!("admin {}", a.name), r.clone()));
            n += 1;
        }
        for k in &a.ssh_keys {
            match identity::ssh_line_to_recipient(k) {
                Ok(Some(r)) => {
                    admins.push((format!("admin {} (ssh key)", a.name), r.to_string()));
                    n += 1;
                }
                Ok(None) => {}
                Err(e) => warnings.push(format!("admins[{}].sshKeys: {e}; this key is not a recipient", a.name)),
            }
        }
        if n == 0 {
            warnings.push(format!(
                "admin {} has no age recipient and no ssh-ed25519 key; they cannot decrypt any secret",
                a.name
            ));
        }
    }
    let mut hosts = Vec::new();
    for node in &cluster.nodes {
        match node.host_key.as_deref().map(identity::ssh_line_to_recipient) {
            Some(Ok(Some(r))) => hosts.push((node, Some(r.to_string()))),
            Some(Err(e)) => {
                warnings.push(format!("nodes[{}].hostKey: {e}", node.name));
                hosts.push((node, None));
            }
            _ => {
                warnings.push(format!(
                    "node {} has no hostKey: it cannot decrypt its secrets until you add one (`n3x-secrets bootstrap-host {}` or `host-key`)",
                    node.name, node.name
                ));
                hosts.push((node, None));
            }
        }
    }
    let mut files = Vec::new();
    for (node, r) in &hosts {
        let mut readers = admins.clone();
        if let Some(r) = r {
            readers.push((format!("host {}", node.name), r.clone()));
        }
        files.push(SecretFile {
            path: host_file(node.name.as_str()),
            purpose: format!("secrets of {} only", node.name),
            readers,
        });
    }
    let mut servers = admins.clone();
    let mut everyone = admins.clone();
    for (node, r) in &hosts {
        if let Some(r) = r {
            if node.role == Role::Server {
                servers.push((format!("server {}", node.name), r.clone()));
            }
            everyone.push((
                format!("{} {}", if node.role == Role::Server { "server" } else { "agent" }, node.name),
                r.clone(),
            ));
        }
    }
    files.push(SecretFile {
        path: CLUSTER_FILE.into(),
        purpose: "cluster-wide server secrets (k3s server token)".into(),
        readers: servers,
    });
    files.push(SecretFile {
        path: AGENT_FILE.into(),
        purpose: "the k3s agent token, for every node".into(),
        readers: everyone,
    });
    (files, warnings)
}

/// Escapes regex metacharacters in a path (node names are `[a-z0-9-]`, so only `.`
/// matters in practice; `-` is left alone so the rule stays readable).
fn escape_path(p: &str) -> String {
    let mut s = String::new();
    for c in p.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// Renders `.sops.yaml` for the plan: one creation rule per file, anchored regexes,
/// recipients commented with whose key they are.
pub fn render(files: &[SecretFile], source: &str) -> String {
    let mut rules = Vec::new();
    for f in files {
        let mut age = Vec::new();
        for (who, r) in &f.readers {
            age.push(Node::Comment(format!(" {who}")));
            age.push(Node::str(r));
        }
        rules.push(Node::Map(vec![
            MapItem::Comment(format!(" {}", f.purpose)),
            MapItem::Pair("path_regex".into(), Node::str(format!("^{}$", escape_path(&f.path)))),
            MapItem::Pair(
                "key_groups".into(),
                Node::Seq(vec![Node::Map(vec![MapItem::Pair("age".into(), Node::Seq(age))])]),
            ),
        ]));
    }
    let doc = Node::Map(vec![
        MapItem::Comment(format!(
            " Generated by `n3x-secrets sops-config` from {source}; re-run it instead of editing."
        )),
        MapItem::Pair("creation_rules".into(), Node::Seq(rules)),
    ]);
    tree::emit_yaml(&[doc])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_match_wins_and_lists() {
        let cfg = parse(
            "creation_rules:\n  - path_regex: secrets/hosts/.*\\.yaml$\n    age: age1a, age1b\n  - path_regex: \\.json$\n    age: [age1c]\n    encrypted_regex: ^data$\n  - age: >-\n      age1d,\n      age1e\n",
            ".sops.yaml",
        )
        .unwrap();
        assert_eq!(cfg.rule_for("secrets/hosts/n1.yaml").unwrap().age, vec!["age1a", "age1b"]);
        let j = cfg.rule_for("x/y.json").unwrap();
        assert_eq!(j.age, vec!["age1c"]);
        assert_eq!(j.crypt, Some(CryptRule::EncryptedRegex("^data$".into())));
        assert_eq!(cfg.rule_for("other.yaml").unwrap().age, vec!["age1d", "age1e"]);
        assert!(parse("creation_rules:\n  - path_regex: '('\n", "c").unwrap_err().contains("not a valid regex"));
    }

    #[test]
    fn literal_rules_are_indexed_without_changing_which_rule_wins() {
        assert_eq!(literal_of(r"^secrets/hosts/n-1\.yaml$").as_deref(), Some("secrets/hosts/n-1.yaml"));
        assert_eq!(literal_of(r"^secrets/.*$"), None);
        assert_eq!(literal_of(r"secrets/a\.yaml$"), None);
        let cfg = parse(
            "creation_rules:\n  - path_regex: ^a\\.yaml$\n    age: age1a\n  - path_regex: \\.yaml$\n    age: age1b\n  - path_regex: ^b\\.yaml$\n    age: age1c\n  - age: age1d\n",
            "c",
        )
        .unwrap();
        assert_eq!(cfg.rule_for("a.yaml").unwrap().age, vec!["age1a"]);
        // The regex rule comes before the literal one for b.yaml, so it wins (as in sops).
        assert_eq!(cfg.rule_for("b.yaml").unwrap().age, vec!["age1b"]);
        assert_eq!(cfg.rule_for("x.json").unwrap().age, vec!["age1d"]);
        assert_eq!(cfg.rule_for("axyaml").unwrap().age, vec!["age1d"], "the dot is escaped");
    }
}
