//! `n3x-secrets`: argument parsing and exit codes only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use n3x_core::Error;
use n3x_secrets::app::{self, Output};
use n3x_secrets::seams::{EnvEditor, OsRng, SystemClock};
use n3x_secrets::sops::CryptRule;

/// age identities, ssh-to-age, .sops.yaml, sops-compatible encrypted files, k3s
/// tokens, host key bootstrap and secret lint for n3x clusters.
///
/// Files are read and written in exactly sops 3.11's format: `sops -d` opens what
/// n3x-secrets encrypts and the other way round.
#[derive(Debug, Parser)]
#[command(name = "n3x-secrets", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Args)]
struct RuleFlags {
    /// Leave values plaintext whose key (or a parent key) ends with this suffix.
    #[arg(long, value_name = "SUFFIX")]
    unencrypted_suffix: Option<String>,
    /// Encrypt only values whose key (or a parent key) ends with this suffix.
    #[arg(long, value_name = "SUFFIX")]
    encrypted_suffix: Option<String>,
    /// Leave values plaintext whose key (or a parent key) matches this regex.
    #[arg(long, value_name = "REGEX")]
    unencrypted_regex: Option<String>,
    /// Encrypt only values whose key (or a parent key) matches this regex.
    #[arg(long, value_name = "REGEX")]
    encrypted_regex: Option<String>,
    /// Put only encrypted values into the MAC.
    #[arg(long)]
    mac_only_encrypted: bool,
}

impl RuleFlags {
    fn rule(&self) -> Result<Option<CryptRule>, Error> {
        let mut rules = Vec::new();
        if let Some(s) = &self.unencrypted_suffix {
            rules.push(CryptRule::UnencryptedSuffix(s.clone()));
        }
        if let Some(s) = &self.encrypted_suffix {
            rules.push(CryptRule::EncryptedSuffix(s.clone()));
        }
        if let Some(s) = &self.unencrypted_regex {
            rules.push(CryptRule::UnencryptedRegex(s.clone()));
        }
        if let Some(s) = &self.encrypted_regex {
            rules.push(CryptRule::EncryptedRegex(s.clone()));
        }
        if rules.len() > 1 {
            return Err(Error::Usage(
                "give at most one of --unencrypted-suffix, --encrypted-suffix, --unencrypted-regex, --encrypted-regex"
                    .into(),
            ));
        }
        Ok(rules.pop())
    }
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Generate an age X25519 identity in age-keygen's file format (mode 0600; never overwrites).
    ///
    /// Example: n3x-secrets keygen -o ~/.config/sops/age/keys.txt
    Keygen {
        /// Write the identity here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Print the age recipient (public key) of an identity file.
    ///
    /// Example: n3x-secrets pubkey ~/.config/sops/age/keys.txt
    Pubkey {
        /// Identity file (standard input when absent or `-`).
        file: Option<PathBuf>,
    },
    /// Convert ssh-ed25519 public keys (one a line) to age recipients, or with
    /// --private an OpenSSH ed25519 private key to an age identity (as ssh-to-age and sops-nix do).
    ///
    /// Examples: ssh-keyscan -t ed25519 host | n3x-secrets ssh-to-age;
    /// SSH_TO_AGE_PASSPHRASE=… n3x-secrets ssh-to-age --private ~/.ssh/id_ed25519
    SshToAge {
        /// Convert a private key (passphrase from SSH_TO_AGE_PASSPHRASE).
        #[arg(long)]
        private: bool,
        /// Input file (standard input when absent or `-`).
        file: Option<PathBuf>,
    },
    /// Read a server's ssh-ed25519 host key over SSH (no login) and print it and its age recipient.
    ///
    /// Example: n3x-secrets host-key 10.0.0.11:22 --known-hosts ~/.ssh/known_hosts
    HostKey {
        /// HOST or HOST:PORT ([v6]:PORT for IPv6).
        target: String,
        /// Verify the key against this known_hosts file (a mismatch is an error).
        #[arg(long)]
        known_hosts: Option<PathBuf>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        /// Record the key as DIR/NODE.pub (with --node), where `scripts/render` picks it up.
        #[arg(long, value_name = "DIR", requires = "node")]
        host_keys: Option<PathBuf>,
        /// The inventory node this machine is (names the recorded file).
        #[arg(long)]
        node: Option<String>,
    },
    /// Generate a node's SSH host key before install, laid out for `nixos-anywhere --extra-files DIR`.
    ///
    /// Example: n3x-secrets bootstrap-host n100-1 inventory.yaml --out extra/n100-1
    BootstrapHost {
        /// Node name.
        node: String,
        /// Inventory or Cluster (checks that the node exists).
        file: Option<PathBuf>,
        /// Folder that receives etc/ssh/ssh_host_ed25519_key{,.pub}.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing host key.
        #[arg(long)]
        force: bool,
        /// Also record the public key as DIR/NODE.pub, where the next render
        /// (`scripts/render`, `--host-keys` of sops-config and init) picks it up.
        #[arg(long, value_name = "DIR")]
        host_keys: Option<PathBuf>,
    },
    /// Write a .sops.yaml for a cluster: per-host files, cluster and agent token files.
    ///
    /// Example: n3x-secrets sops-config inventory.yaml -o .sops.yaml
    SopsConfig {
        /// Inventory or Cluster (standard input when absent or `-`).
        file: Option<PathBuf>,
        /// Output file (standard output when absent).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// An extra admin recipient (age1…) besides the inventory's admins; repeatable.
        #[arg(long, value_name = "AGE1")]
        add_admin: Vec<String>,
        /// Host keys recorded by `bootstrap-host --host-keys` / `host-key --host-keys`
        /// (DIR/NODE.pub) for nodes whose inventory entry has no hostKey.
        #[arg(long, value_name = "DIR")]
        host_keys: Option<PathBuf>,
        /// Treat warnings as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Encrypt a YAML, JSON, dotenv (.env) or other (binary) file in sops format.
    ///
    /// Example: n3x-secrets encrypt --age age1… -i secrets/cluster.yaml
    Encrypt {
        /// Recipients, comma-separated (else the matching .sops.yaml creation rule).
        #[arg(long, value_name = "R1,R2")]
        age: Vec<String>,
        /// The .sops.yaml to use (else found from the working folder upwards).
        #[arg(long)]
        config: Option<PathBuf>,
        /// yaml or json (else from the extension).
        #[arg(long)]
        input_type: Option<String>,
        #[command(flatten)]
        rules: RuleFlags,
        /// Replace FILE with the result.
        #[arg(short, long)]
        in_place: bool,
        /// Write the result to this file.
        #[arg(short, long, conflicts_with = "in_place")]
        output: Option<PathBuf>,
        /// The plaintext file.
        file: PathBuf,
    },
    /// Decrypt a sops file (the MAC is always verified unless --ignore-mac).
    ///
    /// Example: n3x-secrets decrypt --extract '["k3s-token"]' secrets/cluster.yaml
    Decrypt {
        /// Print only this value, e.g. '["a"]["b"][0]'.
        #[arg(long)]
        extract: Option<String>,
        /// Skip the MAC check (recovery only).
        #[arg(long)]
        ignore_mac: bool,
        /// yaml or json (else from the extension).
        #[arg(long)]
        input_type: Option<String>,
        /// Replace FILE with the plaintext.
        #[arg(short, long)]
        in_place: bool,
        /// Write the plaintext to this file (mode 0600).
        #[arg(short, long, conflicts_with = "in_place")]
        output: Option<PathBuf>,
        /// The encrypted file.
        file: PathBuf,
    },
    /// Edit a sops file in $EDITOR; the plaintext lives only in a private 0600 temp file.
    ///
    /// Example: EDITOR=nano n3x-secrets edit secrets/hosts/n100-1.yaml
    Edit {
        /// The encrypted file.
        file: PathBuf,
    },
    /// Set one value (JSON) in a sops file, in place.
    ///
    /// Example: n3x-secrets set secrets/hosts/n1.yaml '["wifi"]["psk"]' '"s3cret"';
    /// keep the secret off the command line with: printf '"s3cret"' | n3x-secrets set --value-stdin FILE PATH
    Set {
        /// Read VALUE from standard input (keeps it out of the process list and shell history).
        #[arg(long)]
        value_stdin: bool,
        /// The encrypted file.
        file: PathBuf,
        /// Path such as '["a"]["b"]'.
        path: String,
        /// The value as JSON ('"text"', 42, true, {"k": "v"}).
        #[arg(required_unless_present = "value_stdin", conflicts_with = "value_stdin")]
        value: Option<String>,
    },
    /// Remove one value from a sops file, in place.
    ///
    /// Example: n3x-secrets unset secrets/hosts/n1.yaml '["wifi"]'
    Unset {
        /// The encrypted file.
        file: PathBuf,
        /// Path such as '["a"]["b"]'.
        path: String,
    },
    /// Re-wrap the data key for the recipients of the matching .sops.yaml rule (values untouched).
    ///
    /// Example: n3x-secrets updatekeys secrets/cluster.yaml
    Updatekeys {
        /// The .sops.yaml to use.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Encrypted files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Generate a new data key and re-encrypt every value (add or remove recipients on the way).
    ///
    /// Example: n3x-secrets rotate -i --rm-age age1old… secrets/cluster.yaml
    Rotate {
        /// Recipients to add.
        #[arg(long, value_name = "R1,R2")]
        add_age: Vec<String>,
        /// Recipients to remove.
        #[arg(long, value_name = "R1,R2")]
        rm_age: Vec<String>,
        /// Replace FILE with the result.
        #[arg(short, long)]
        in_place: bool,
        /// The encrypted file.
        file: PathBuf,
    },
    /// Print a new k3s token from the OS random generator (hex).
    ///
    /// Example: n3x-secrets token --bytes 32
    Token {
        /// Random bytes (16..256).
        #[arg(long, default_value_t = 32)]
        bytes: usize,
    },
    /// Create the cluster's encrypted secret files per .sops.yaml; never regenerates an existing secret.
    ///
    /// Example: n3x-secrets init inventory.yaml --dir secrets
    Init {
        /// Inventory or Cluster.
        file: Option<PathBuf>,
        /// The secrets folder (its paths are matched against .sops.yaml as secrets/…).
        #[arg(long, default_value = "secrets")]
        dir: PathBuf,
        /// The .sops.yaml to use.
        #[arg(long)]
        config: Option<PathBuf>,
        /// An extra admin recipient (age1…), as given to sops-config; repeatable.
        #[arg(long, value_name = "AGE1")]
        add_admin: Vec<String>,
        /// Host keys recorded as DIR/NODE.pub, as given to sops-config.
        #[arg(long, value_name = "DIR")]
        host_keys: Option<PathBuf>,
        /// Read existing secret files from this folder instead of --dir, and write every
        /// planned file into --dir (for a render into a staging folder; files of removed
        /// nodes are not carried over).
        #[arg(long, value_name = "DIR")]
        existing: Option<PathBuf>,
        /// Re-wrap the data key of every existing file whose recipients differ from its
        /// .sops.yaml rule (as `updatekeys`; needs an admin identity, e.g. SOPS_AGE_KEY_FILE).
        #[arg(long)]
        update_keys: bool,
    },
    /// Write a sops-nix module per node: DIR/<node>/secrets.nix.
    ///
    /// Example: n3x-secrets render-nix inventory.yaml --out hosts
    RenderNix {
        /// Inventory or Cluster (standard input when absent or `-`).
        file: Option<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// The secrets folder as seen from DIR/<node>/secrets.nix.
        #[arg(long, default_value = "../../secrets")]
        secrets_path: String,
        /// Treat warnings as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Find plaintext secrets in Nix/YAML/JSON/env files and unencrypted files a .sops.yaml rule covers.
    ///
    /// Example: n3x-secrets lint hosts/ secrets/
    Lint {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print a shell completion script.
    ///
    /// Example: n3x-secrets completions bash > /etc/bash_completion.d/n3x-secrets
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    ///
    /// Example: n3x-secrets man > n3x-secrets.1
    Man,
}

fn out_of(in_place: bool, output: Option<PathBuf>, file: &std::path::Path) -> Output {
    match (in_place, output) {
        (true, _) => Output::InPlace(file.to_path_buf()),
        (false, Some(p)) if p.as_os_str() != "-" => Output::File(p),
        _ => Output::Stdout,
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let mut rng = OsRng;
    let clock = SystemClock;
    match cli.cmd {
        Cmd::Keygen { output } => app::keygen(output.as_deref(), &mut rng, &clock),
        Cmd::Pubkey { file } => app::pubkey(file.as_deref()),
        Cmd::SshToAge { private, file } => app::ssh_to_age(file.as_deref(), private),
        Cmd::HostKey { target, known_hosts, timeout, host_keys, node } => {
            let record = host_keys.as_deref().zip(node.as_deref());
            app::host_key(&target, known_hosts.as_deref(), Duration::from_secs(timeout.max(1)), record)
        }
        Cmd::BootstrapHost { node, file, out, force, host_keys } => {
            app::bootstrap_host(&node, file.as_deref(), &out, force, host_keys.as_deref(), &mut rng)
        }
        Cmd::SopsConfig { file, output, add_admin, host_keys, deny_warnings } => {
            app::sops_config(file.as_deref(), output.as_deref(), &add_admin, host_keys.as_deref(), deny_warnings)
        }
        Cmd::Encrypt { age, config, input_type, rules, in_place, output, file } => {
            let out = out_of(in_place, output, &file);
            let rule = rules.rule()?;
            app::encrypt(
                &file,
                &age,
                config.as_deref(),
                input_type.as_deref(),
                rule,
                rules.mac_only_encrypted,
                &out,
                &mut rng,
                &clock,
            )
        }
        Cmd::Decrypt { extract, ignore_mac, input_type, in_place, output, file } => {
            let out = out_of(in_place, output, &file);
            app::decrypt(&file, input_type.as_deref(), extract.as_deref(), ignore_mac, &out)
        }
        Cmd::Edit { file } => app::edit(&file, &EnvEditor, &mut rng, &clock),
        Cmd::Set { value_stdin, file, path, value } => {
            let value = match value {
                Some(v) if !value_stdin => zeroize::Zeroizing::new(v),
                _ => zeroize::Zeroizing::new(app::read_file(std::path::Path::new("-"))?),
            };
            app::set(&file, &path, value.trim_end_matches('\n'), &mut rng, &clock)
        }
        Cmd::Unset { file, path } => app::unset(&file, &path, &mut rng, &clock),
        Cmd::Updatekeys { config, files } => {
            for f in &files {
                app::updatekeys(f, config.as_deref(), &mut rng)?;
            }
            Ok(())
        }
        Cmd::Rotate { add_age, rm_age, in_place, file } => {
            let out = out_of(in_place, None, &file);
            app::rotate(&file, &add_age, &rm_age, &out, &mut rng, &clock)
        }
        Cmd::Token { bytes } => {
            let t = app::token_text(&mut rng, bytes)?;
            n3x_core::io::write_stdout(format!("{}\n", t.as_str()).as_bytes())
        }
        Cmd::Init { file, dir, config, add_admin, host_keys, existing, update_keys } => {
            let opts = app::InitOptions {
                extra_admins: &add_admin,
                host_keys: host_keys.as_deref(),
                existing: existing.as_deref(),
                update_keys,
            };
            app::init(file.as_deref(), &dir, config.as_deref(), &opts, &mut rng, &clock)
        }
        Cmd::RenderNix { file, out, secrets_path, deny_warnings } => {
            app::render_nix(file.as_deref(), &out, &secrets_path, deny_warnings)
        }
        Cmd::Lint { paths } => {
            let findings = app::lint(&paths)?;
            let mut text = String::new();
            for f in &findings {
                text.push_str(&format!("{f}\n"));
            }
            n3x_core::io::write_stdout(text.as_bytes())?;
            if findings.is_empty() {
                Ok(())
            } else {
                Err(Error::Failed(format!("{} finding{}", findings.len(), if findings.len() == 1 { "" } else { "s" })))
            }
        }
        Cmd::Completions { shell } => n3x_core::cli::write_completions(Cli::command(), shell),
        Cmd::Man => n3x_core::cli::write_man(Cli::command()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    n3x_core::cli::run("n3x-secrets", || run(cli))
}
