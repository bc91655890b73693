//! The `--format nix` form: one NixOS module per server node that puts every manifest
//! file into `services.k3s.manifests."NN-name"`, so NixOS links it into
//! `/var/lib/rancher/k3s/server/manifests/NN-name.yaml` with the same name, order and
//! objects as `--format dir`.
//!
//! Charts stay HelmChart objects in `content` (fetched by k3s's helm-controller at run
//! time) rather than `services.k3s.autoDeployCharts`, whose charts are fetched at build
//! time and need a fixed-output hash per chart that n3x cannot know offline.
//! A file with one object sets `content` to that object; a file with several sets a
//! list (nixpkgs renders it as `---` documents, or from 25.11 as a `v1` `List`, which
//! k3s expands into its items).

use serde_json::Value;

use n3x_core::nix::{self, Attrs, Nix, NixFile};

use crate::manifests::Manifest;

/// JSON → Nix (objects keep their JSON key order; `nix-instantiate --json` sorts anyway).
pub fn to_nix(v: &Value) -> Nix {
    match v {
        Value::Null => Nix::Null,
        Value::Bool(b) => Nix::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Nix::Int(i),
            // Manifests carry no floats or huge integers; keep the digits as a string
            // rather than lose them.
            None => Nix::Str(n.to_string()),
        },
        Value::String(s) => Nix::Str(s.clone()),
        Value::Array(items) => Nix::List(items.iter().map(to_nix).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            let mut attrs = Attrs::new();
            for k in keys {
                if let Some(val) = map.get(k) {
                    attrs.set(k.clone(), to_nix(val));
                }
            }
            Nix::Attrs(attrs)
        }
    }
}

fn rank(key: &str) -> usize {
    ["apiVersion", "kind", "metadata", "name", "namespace"].iter().position(|k| *k == key).unwrap_or(5)
}

/// Argo CD repository credentials by reference: the name of a sops-nix secret
/// holding the password/token (https) or the SSH private key (ssh URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoCredentials {
    /// The repository URL (from the cluster's `addons.argocd.repoUrl`).
    pub repo_url: String,
    /// sops-nix secret name (`sops.secrets.<name>`).
    pub secret: String,
    /// User name for https repositories.
    pub username: String,
    /// Labels n3x puts on what it creates (cluster name in `part-of`).
    pub part_of: String,
}

/// Where the rendered repository Secret lands: a file of k3s's manifests folder
/// after the root Application (81), written by sops-nix at activation.
pub const REPO_SECRET_PATH: &str = "/var/lib/rancher/k3s/server/manifests/82-argocd-repo.yaml";

fn is_ssh(url: &str) -> bool {
    url.starts_with("ssh://") || (url.contains('@') && !url.contains("://"))
}

/// `sops.secrets.<secret>` and a `sops.templates` entry that renders the Argo CD
/// repository Secret (as JSON, which is YAML) into the manifests folder. The value is
/// spliced in by sops-nix at activation through `config.sops.placeholder`, so it is
/// never in this file, the Nix store or n3x's output.
fn repo_credentials(c: &RepoCredentials) -> (Attrs, Attrs) {
    let placeholder = Nix::Expr(format!("config.sops.placeholder.{}", nix::attr_name(&c.secret)));
    let mut data = Attrs::new();
    data.set("type", "git");
    data.set("url", c.repo_url.as_str());
    if is_ssh(&c.repo_url) {
        data.set("sshPrivateKey", placeholder);
    } else {
        data.set("username", c.username.as_str());
        data.set("password", placeholder);
    }
    let mut labels = Attrs::new();
    labels.set("app.kubernetes.io/name", "argocd");
    labels.set("app.kubernetes.io/component", "repository-credentials");
    labels.set("app.kubernetes.io/part-of", c.part_of.as_str());
    labels.set("app.kubernetes.io/managed-by", "n3x");
    // How Argo CD finds repository credentials.
    labels.set("argocd.argoproj.io/secret-type", "repository");
    let mut metadata = Attrs::new();
    metadata.set("name", "n3x-argocd-repo");
    metadata.set("namespace", crate::components::ARGOCD.namespace);
    metadata.set("labels", Nix::Attrs(labels));
    let mut secret = Attrs::new();
    secret.set("apiVersion", "v1");
    secret.set("kind", "Secret");
    secret.set("metadata", Nix::Attrs(metadata));
    secret.set("type", "Opaque");
    secret.set("stringData", Nix::Attrs(data));
    // `builtins.toJSON { … }`: the set is part of the printed value (escaped, laid out
    // and checked for duplicate attributes like the rest of the file).
    let mut template = Attrs::new();
    template.set("path", REPO_SECRET_PATH);
    template.set("content", Nix::Call("builtins.toJSON".into(), Box::new(Nix::Attrs(secret))));
    let mut secrets = Attrs::new();
    secrets.set_commented(
        c.secret.clone(),
        Nix::Attrs(Attrs::new()),
        if is_ssh(&c.repo_url) {
            "The SSH private key of the Argo CD repository."
        } else {
            "The password or token of the Argo CD repository."
        },
    );
    let mut templates = Attrs::new();
    templates.set("n3x-argocd-repo.yaml", Nix::Attrs(template));
    (secrets, templates)
}

/// The module for one server node.
pub fn module(manifests: &[Manifest], header: Vec<String>, creds: Option<&RepoCredentials>) -> NixFile {
    let mut files = Attrs::new();
    for m in manifests {
        let content = match m.docs.as_slice() {
            [one] => to_nix(one),
            many => Nix::List(many.iter().map(to_nix).collect()),
        };
        let mut entry = Attrs::new();
        entry.set("target", m.file_name());
        entry.set("content", content);
        files.set_commented(m.stem(), Nix::Attrs(entry), m.about.clone());
    }
    let mut body = Attrs::new();
    body.set_path(&["services", "k3s", "manifests"], Nix::Attrs(files));
    let args = creds.map(|c| {
        let (secrets, templates) = repo_credentials(c);
        body.set_path(&["sops", "secrets"], Nix::Attrs(secrets));
        body.set_path(&["sops", "templates"], Nix::Attrs(templates));
        vec!["config".to_string()]
    });
    NixFile { header, args, body: Nix::Attrs(body) }
}
