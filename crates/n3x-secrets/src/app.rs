//! The shell around the pure core: reads files and the environment, finds
//! `.sops.yaml` and identities, talks to the editor and SSH, writes results
//! atomically. `main.rs` only parses arguments and calls these functions with the
//! real seams (OS random generator, system clock, `$EDITOR`).

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use n3x_core::io::{describe_io, write_atomic, write_file, write_stdout, Durability};
use n3x_core::Error;
use zeroize::Zeroizing;

use crate::config::{self, Config};
use crate::gofmt::Timestamp;
use crate::identity::{self, Sources};
use crate::seams::{Clock, Editor, Rng};
use crate::sops::{self, CryptRule, Emit, Format, SopsError, SopsFile};
use crate::tree::{MapItem, Node, Scalar};

fn fail(e: impl std::fmt::Display) -> Error {
    Error::Failed(e.to_string())
}

fn sops_err(file: &str) -> impl Fn(SopsError) -> Error + '_ {
    move |e| Error::Failed(format!("{file}: {e}"))
}

/// Reads a file as text (secret-bearing callers wrap it in `Zeroizing`).
/// Bounded by the input cap (`N3X_MAX_INPUT_SIZE`), like every n3x read.
pub fn read_file(path: &Path) -> Result<String, Error> {
    n3x_core::io::read_text(Some(path)).map(|(_, text)| text)
}

/// The file format from `--input-type` or the extension.
pub fn format_of(path: &Path, explicit: Option<&str>) -> Result<Format, Error> {
    if let Some(t) = explicit {
        return Format::parse(t)
            .ok_or_else(|| Error::Usage(format!("unknown --input-type {t:?}; use yaml, json, dotenv or binary")));
    }
    Format::from_path(&path.display().to_string()).ok_or_else(|| {
        Error::Failed(format!(
            "{}: cannot tell the format from the file name; INI files are not supported; pass --input-type yaml|json|dotenv|binary",
            path.display()
        ))
    })
}

// ---------------------------------------------------------------------------
// .sops.yaml

/// A `.sops.yaml` found or named, with its folder (absolute).
#[derive(Debug, Clone)]
pub struct FoundConfig {
    /// The parsed config.
    pub config: Config,
    /// Its folder.
    pub dir: PathBuf,
    /// Its path.
    pub path: PathBuf,
}

/// `--config`, else `SOPS_CONFIG`, else `.sops.yaml` in the working folder or a parent (§11).
pub fn find_config(explicit: Option<&Path>) -> Result<Option<FoundConfig>, Error> {
    let path = match explicit.map(Path::to_path_buf).or_else(|| std::env::var_os("SOPS_CONFIG").map(PathBuf::from)) {
        Some(p) => Some(p),
        None => {
            let mut dir = std::env::current_dir().map_err(|e| fail(format!("cannot read the working folder: {e}")))?;
            let mut found = None;
            for _ in 0..100 {
                let c = dir.join(".sops.yaml");
                if c.is_file() {
                    found = Some(c);
                    break;
                }
                if !dir.pop() {
                    break;
                }
            }
            found
        }
    };
    let Some(path) = path else { return Ok(None) };
    let text = read_file(&path)?;
    let cfg = config::parse(&text, &path.display().to_string()).map_err(Error::Failed)?;
    let abs = std::path::absolute(&path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = dir.canonicalize().unwrap_or(dir);
    Ok(Some(FoundConfig { config: cfg, dir, path }))
}

fn rel_to(dir: &Path, file: &Path) -> String {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let abs = match (abs.parent(), abs.file_name()) {
        (Some(p), Some(n)) => p.canonicalize().map(|p| p.join(n)).unwrap_or(abs.clone()),
        _ => abs,
    };
    strip_dir(dir, &abs)
}

/// `abs` relative to `dir` when it lies below it, else `abs` whole (as [`rel_to`] says).
fn strip_dir(dir: &Path, abs: &Path) -> String {
    let s = abs.display().to_string();
    let prefix = format!("{}/", dir.display());
    s.strip_prefix(&prefix).map(String::from).unwrap_or(s)
}

/// Recipients and crypt rule for encrypting `file`, as sops picks them.
pub fn resolve_keys(
    file: &Path,
    age_flag: &[String],
    config_flag: Option<&Path>,
    rule_flag: Option<CryptRule>,
    mac_only_flag: bool,
) -> Result<(sops::EncryptOptions, Option<usize>), Error> {
    let cfg = find_config(config_flag)?;
    let mut recipients: Vec<String> =
        age_flag.iter().flat_map(|a| a.split(',')).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    if recipients.is_empty() {
        if let Ok(env) = std::env::var("SOPS_AGE_RECIPIENTS") {
            recipients = env.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        }
    }
    let mut rule = None;
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut threshold = None;
    let mut mac_only = mac_only_flag;
    let mut json_indent = None;
    if let Some(c) = &cfg {
        let rel = rel_to(&c.dir, file);
        let r = c.config.rule_for(&rel).ok_or_else(|| {
            Error::Failed(format!(
                "{}: no creation rule in {} matches {rel} (sops: \"no matching creation rules found\"); add a rule, or pass --config with another file",
                file.display(),
                c.path.display()
            ))
        })?;
        if recipients.is_empty() {
            recipients = r.age.clone();
            groups = r.key_groups.clone();
            threshold = r.shamir_threshold;
        }
        rule = r.crypt.clone();
        mac_only |= r.mac_only_encrypted;
        json_indent = c.config.json_indent;
    }
    if recipients.is_empty() && groups.is_empty() {
        return Err(Error::Failed(format!(
            "{}: no recipients: pass --age age1…, or add a .sops.yaml creation rule (n3x-secrets sops-config writes one)",
            file.display()
        )));
    }
    for r in recipients.iter().chain(groups.iter().flatten()) {
        sops::parse_recipient(r).map_err(Error::Failed)?;
    }
    Ok((
        sops::EncryptOptions {
            recipients,
            key_groups: groups,
            shamir_threshold: threshold,
            rule: rule_flag.or(rule).unwrap_or_default(),
            mac_only_encrypted: mac_only,
        },
        json_indent,
    ))
}

// ---------------------------------------------------------------------------
// Identities

fn read_secret_file(p: &Path) -> Result<Option<Zeroizing<String>>, String> {
    match std::fs::read_to_string(p) {
        Ok(t) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(m) = std::fs::metadata(p) {
                    if m.permissions().mode() & 0o077 != 0 {
                        eprintln!(
                            "n3x-secrets: warning: {} is readable by other users (mode {:o}); run chmod 600 {}",
                            p.display(),
                            m.permissions().mode() & 0o777,
                            p.display()
                        );
                    }
                }
            }
            Ok(Some(Zeroizing::new(t)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {}", p.display(), describe_io(&e))),
    }
}

/// Every identity from the sources sops reads.
pub fn load_identities() -> Result<identity::Found, Error> {
    let src = Sources::from_env(&|k| std::env::var(k).ok());
    let pass = std::env::var("SSH_TO_AGE_PASSPHRASE").ok().map(Zeroizing::new);
    let found = identity::load(&src, &read_secret_file, pass.as_deref().map(String::as_str));
    if found.identities.is_empty() {
        let mut msg = String::from("no age identity found");
        for p in &found.problems {
            msg.push_str(&format!("\n  - {p}"));
        }
        msg.push_str(&format!(
            "\n  looked in: {}\n  fix: set SOPS_AGE_KEY_FILE to your identity file (from `n3x-secrets keygen` or age-keygen), or SOPS_AGE_KEY to the key itself",
            if found.tried.is_empty() { "SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt, ~/.ssh/id_ed25519".to_string() } else { found.tried.join(", ") }
        ));
        return Err(Error::Failed(msg));
    }
    for p in &found.problems {
        eprintln!("n3x-secrets: warning: {p}");
    }
    Ok(found)
}

fn open_encrypted(path: &Path, input_type: Option<&str>) -> Result<SopsFile, Error> {
    let format = format_of(path, input_type)?;
    let text = Zeroizing::new(read_file(path)?);
    let name = path.display().to_string();
    sops::parse_encrypted(&text, format).map_err(sops_err(&name))
}

fn decrypt_file(path: &Path, file: &SopsFile, ignore_mac: bool) -> Result<sops::Decrypted, Error> {
    let found = load_identities()?;
    let name = path.display().to_string();
    let d = sops::decrypt(file, &found.identities, &found.tried, ignore_mac).map_err(sops_err(&name))?;
    for w in &d.warnings {
        eprintln!("n3x-secrets: warning: {name}: {w}");
    }
    Ok(d)
}

/// Where a result goes.
#[derive(Debug, Clone)]
pub enum Output {
    /// Standard output.
    Stdout,
    /// Replace the input file atomically, keeping its mode.
    InPlace(PathBuf),
    /// Another file.
    File(PathBuf),
}

fn file_mode(p: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).ok().map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        None
    }
}

/// Writes a result. Files are durable (fsynced, file and folder): an in-place rewrite
/// of a secret file or a new encrypted file holds a data key that exists nowhere else.
fn emit(out: &Output, text: &str) -> Result<(), Error> {
    match out {
        Output::Stdout => write_stdout(text.as_bytes()),
        Output::InPlace(p) => write_file(p, text.as_bytes(), file_mode(p), Durability::Durable),
        Output::File(p) => write_file(p, text.as_bytes(), Some(0o600), Durability::Durable),
    }
}

// ---------------------------------------------------------------------------
// Commands

/// `keygen`.
pub fn keygen(out: Option<&Path>, rng: &mut dyn Rng, clock: &dyn Clock) -> Result<(), Error> {
    let id = identity::generate_identity(rng).map_err(fail)?;
    let text = identity::keygen_file(&id, Timestamp::utc(clock.now()));
    match out {
        Some(p) if p.as_os_str() != "-" => {
            if p.exists() {
                return Err(Error::Failed(format!(
                    "{} already exists; refusing to overwrite an identity (move it away first)",
                    p.display()
                )));
            }
            create_new_private(p, text.as_bytes())?;
        }
        _ => write_stdout(text.as_bytes())?,
    }
    eprintln!("Public key: {}", id.to_public());
    Ok(())
}

/// Creates a new file with mode 0600; fails if it exists (no race: `create_new`).
pub fn create_new_private(p: &Path, bytes: &[u8]) -> Result<(), Error> {
    let wrap = |source: std::io::Error| Error::Write { path: p.display().to_string(), source };
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(wrap)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(p).map_err(wrap)?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(wrap)?;
    // An identity or host key exists nowhere else: its folder entry must survive too.
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    n3x_core::io::sync_dir(dir).map_err(wrap)
}

/// `pubkey`.
pub fn pubkey(file: Option<&Path>) -> Result<(), Error> {
    let p = file.unwrap_or(Path::new("-"));
    let text = Zeroizing::new(read_file(p)?);
    let name = n3x_core::io::input_name(Some(p));
    let ids = identity::parse_identities(&text, &name).map_err(Error::Failed)?;
    let mut out = String::new();
    for id in ids {
        out.push_str(&id.to_public().to_string());
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}

/// `ssh-to-age`.
pub fn ssh_to_age(file: Option<&Path>, private: bool) -> Result<(), Error> {
    let p = file.unwrap_or(Path::new("-"));
    let name = n3x_core::io::input_name(Some(p));
    let text = Zeroizing::new(read_file(p)?);
    if private {
        let pass = std::env::var("SSH_TO_AGE_PASSPHRASE").ok().map(Zeroizing::new);
        let id = identity::ssh_private_to_identity(&text, pass.as_deref().map(String::as_str))
            .map_err(|e| Error::Failed(format!("{name}: {e}")))?;
        use age::secrecy::ExposeSecret;
        let s = Zeroizing::new(format!("{}\n", id.to_string().expose_secret()));
        return write_stdout(s.as_bytes());
    }
    let mut out = String::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match identity::ssh_line_to_recipient(line) {
            Ok(Some(r)) => {
                out.push_str(r.as_str());
                out.push('\n');
            }
            Ok(None) => {}
            Err(e) => errors.push(format!("{name}:{}: {e}", i + 1)),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Failed(errors.join("\n")));
    }
    if out.is_empty() {
        return Err(Error::Failed(format!("{name}: no SSH public key found")));
    }
    write_stdout(out.as_bytes())
}

/// `encrypt`.
#[allow(clippy::too_many_arguments)]
pub fn encrypt(
    path: &Path,
    age: &[String],
    config: Option<&Path>,
    input_type: Option<&str>,
    rule: Option<CryptRule>,
    mac_only: bool,
    out: &Output,
    rng: &mut dyn Rng,
    clock: &dyn Clock,
) -> Result<(), Error> {
    let format = format_of(path, input_type)?;
    let name = path.display().to_string();
    let (opts, json_indent) = resolve_keys(path, age, config, rule, mac_only)?;
    let text = Zeroizing::new(read_file(path)?);
    let docs = sops::parse_plain(&text, format).map_err(sops_err(&name))?;
    let file = sops::encrypt(docs, format, &opts, rng, clock).map_err(sops_err(&name))?;
    emit(out, &sops::render_encrypted(&file, Emit { json_indent }))
}

/// `decrypt`.
pub fn decrypt(
    path: &Path,
    input_type: Option<&str>,
    extract: Option<&str>,
    ignore_mac: bool,
    out: &Output,
) -> Result<(), Error> {
    let steps = extract.map(sops::parse_path).transpose().map_err(Error::Usage)?;
    let file = open_encrypted(path, input_type)?;
    let json_indent = find_config(None).ok().flatten().and_then(|c| c.config.json_indent);
    let d = decrypt_file(path, &file, ignore_mac)?;
    let opts = Emit { json_indent };
    let text = Zeroizing::new(match steps {
        Some(steps) => {
            let doc = d.docs.first().ok_or_else(|| fail("the file has no document"))?;
            let node =
                sops::lookup(doc, &steps).map_err(|e| Error::Failed(format!("{}: --extract {e}", path.display())))?;
            sops::render_extract(node, file.format, opts)
        }
        None => sops::render_plain(&d.docs, file.format, opts),
    });
    emit(out, &text)
}

/// `set`: sets one value (JSON-encoded, as in `sops set`) and re-encrypts in place.
pub fn set(path: &Path, at: &str, value: &str, rng: &mut dyn Rng, clock: &dyn Clock) -> Result<(), Error> {
    let steps = sops::parse_path(at).map_err(Error::Usage)?;
    let value = Zeroizing::new(value.to_string());
    let node = parse_json_value(&value)
        .map_err(|e| Error::Usage(format!("VALUE must be JSON (a string needs quotes: '\"secret\"'): {e}")))?;
    modify(path, rng, clock, |doc| sops::set_path(doc, &steps, node.clone()))
}

/// `unset`.
pub fn unset(path: &Path, at: &str, rng: &mut dyn Rng, clock: &dyn Clock) -> Result<(), Error> {
    let steps = sops::parse_path(at).map_err(Error::Usage)?;
    modify(path, rng, clock, |doc| sops::unset_path(doc, &steps))
}

fn parse_json_value(s: &str) -> Result<Node, String> {
    let wrapped = format!("{{\"v\": {s}}}");
    let n = crate::tree::parse_json(&wrapped).map_err(|e| e.msg)?;
    n.get("v").cloned().ok_or_else(|| "no value".into())
}

fn modify(
    path: &Path,
    rng: &mut dyn Rng,
    clock: &dyn Clock,
    change: impl Fn(&mut Node) -> Result<(), String>,
) -> Result<(), Error> {
    let file = open_encrypted(path, None)?;
    let d = decrypt_file(path, &file, false)?;
    let mut docs = d.docs.clone();
    let doc = docs.first_mut().ok_or_else(|| fail("the file has no document"))?;
    change(doc).map_err(|e| Error::Failed(format!("{}: {e}", path.display())))?;
    if file.format == Format::Dotenv {
        crate::dotenv::emit(doc).map_err(|e| Error::Failed(format!("{}: {e}", path.display())))?;
    }
    let new = sops::reseal(&file, docs, &d, rng, clock).map_err(sops_err(&path.display().to_string()))?;
    emit(&Output::InPlace(path.to_path_buf()), &sops::render_encrypted(&new, Emit::default()))
}

/// `updatekeys`: recipients from the matching `.sops.yaml` rule; same data key.
pub fn updatekeys(path: &Path, config: Option<&Path>, rng: &mut dyn Rng) -> Result<bool, Error> {
    let file = open_encrypted(path, None)?;
    let cfg = find_config(config)?.ok_or_else(|| {
        Error::Failed("no .sops.yaml found (searched the working folder and its parents); pass --config".into())
    })?;
    let rel = rel_to(&cfg.dir, path);
    let rule = cfg.config.rule_for(&rel).ok_or_else(|| {
        Error::Failed(format!("{}: no creation rule in {} matches {rel}", path.display(), cfg.path.display()))
    })?;
    let old_groups = sops::recipient_groups(&file.meta);
    let new_groups = rule.groups();
    let old: Vec<&str> = old_groups.iter().flatten().map(String::as_str).collect();
    let new: Vec<&str> = new_groups.iter().flatten().map(String::as_str).collect();
    if old_groups == new_groups {
        eprintln!("{}: already up to date", path.display());
        return Ok(false);
    }
    for r in &new {
        if !old.contains(r) {
            eprintln!("{}: + {r}", path.display());
        }
    }
    for r in &old {
        if !new.contains(r) {
            eprintln!("{}: - {r}", path.display());
        }
    }
    let found = load_identities()?;
    let key =
        sops::unwrap_key(&file.meta, &found.identities, &found.tried).map_err(sops_err(&path.display().to_string()))?;
    let updated = sops::update_keys(&file, &key, &new_groups, rule.shamir_threshold, rng)
        .map_err(sops_err(&path.display().to_string()))?;
    emit(&Output::InPlace(path.to_path_buf()), &sops::render_encrypted(&updated, Emit::default()))?;
    Ok(true)
}

/// `rotate`.
pub fn rotate(
    path: &Path,
    add: &[String],
    rm: &[String],
    out: &Output,
    rng: &mut dyn Rng,
    clock: &dyn Clock,
) -> Result<(), Error> {
    let file = open_encrypted(path, None)?;
    let d = decrypt_file(path, &file, false)?;
    let split = |v: &[String]| -> Vec<String> {
        v.iter().flat_map(|a| a.split(',')).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
    };
    // Additions go to the first group, as in sops; removals from every group.
    let mut groups = sops::recipient_groups(&file.meta);
    for r in split(add) {
        if !groups.iter().flatten().any(|x| x == &r) {
            sops::parse_recipient(&r).map_err(|e| Error::Failed(format!("--add-age: {e}")))?;
            if let Some(g) = groups.first_mut() {
                g.push(r);
            }
        }
    }
    let rm = split(rm);
    for r in &rm {
        if !groups.iter().flatten().any(|x| x == r) {
            return Err(Error::Failed(format!("{}: --rm-age {r} is not a recipient of the file", path.display())));
        }
    }
    for g in groups.iter_mut() {
        g.retain(|r| !rm.contains(r));
    }
    if groups.iter().any(Vec::is_empty) {
        return Err(Error::Failed(format!("{}: rotate would leave a key group without recipients", path.display())));
    }
    let new = sops::rotate(&file, &d, &groups, rng, clock).map_err(sops_err(&path.display().to_string()))?;
    emit(out, &sops::render_encrypted(&new, Emit::default()))
}

/// `edit`: plaintext only in a private 0600 temp file, wiped and removed afterwards.
pub fn edit(path: &Path, editor: &dyn Editor, rng: &mut dyn Rng, clock: &dyn Clock) -> Result<(), Error> {
    // A file that does not exist yet is created (as sops does): recipients from .sops.yaml.
    let new_file = !path.exists();
    let mut new_opts = None;
    let (file, d, format) = if new_file {
        let format = format_of(path, None)?;
        // Recipients are settled before the editor opens, so no edit is lost.
        new_opts = Some(resolve_keys(path, &[], None, None, false)?.0);
        (None, None, format)
    } else {
        let file = open_encrypted(path, None)?;
        let d = decrypt_file(path, &file, false)?;
        let format = file.format;
        (Some(file), Some(d), format)
    };
    let plain = Zeroizing::new(match &d {
        Some(d) => sops::render_plain(&d.docs, format, Emit::default()),
        None => String::new(),
    });
    let ext = match format {
        Format::Yaml => ".yaml",
        Format::Json => ".json",
        Format::Dotenv => ".env",
        Format::Binary => ".txt",
    };
    let dir = tempfile::Builder::new()
        .prefix("n3x-secrets-edit-")
        .tempdir()
        .map_err(|e| fail(format!("cannot create a private temp folder: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700));
    }
    let tmp = dir.path().join(format!("plaintext{ext}"));
    create_new_private(&tmp, plain.as_bytes())?;
    let result = (|| {
        editor.edit(&tmp).map_err(Error::Failed)?;
        let edited = Zeroizing::new(
            std::fs::read_to_string(&tmp).map_err(|source| Error::Read { path: tmp.display().to_string(), source })?,
        );
        if edited.as_str() == plain.as_str() {
            eprintln!("{}: unchanged{}", path.display(), if new_file { "; nothing written" } else { "" });
            return Ok(());
        }
        let docs = sops::parse_plain(&edited, format).map_err(|e| {
            Error::Failed(format!("the edited text is not valid: {e}; {} is unchanged", path.display()))
        })?;
        let new = match (&file, &d, &new_opts) {
            (Some(file), Some(d), _) => sops::reseal(file, docs, d, rng, clock),
            (_, _, Some(opts)) => sops::encrypt(docs, format, opts, rng, clock),
            _ => return Err(fail("internal: nothing to encrypt with")),
        }
        .map_err(sops_err(&path.display().to_string()))?;
        let out = if new_file { Output::File(path.to_path_buf()) } else { Output::InPlace(path.to_path_buf()) };
        emit(&out, &sops::render_encrypted(&new, Emit::default()))
    })();
    // Overwrite the plaintext before removing it.
    if let Ok(meta) = std::fs::metadata(&tmp) {
        let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0)];
        let _ = std::fs::write(&tmp, zeros);
    }
    let _ = std::fs::remove_file(&tmp);
    drop(dir);
    result
}

/// A k3s token: `bytes` random bytes as lowercase hex.
pub fn token_text(rng: &mut dyn Rng, bytes: usize) -> Result<Zeroizing<String>, Error> {
    if !(16..=256).contains(&bytes) {
        return Err(Error::Usage(format!("--bytes {bytes}: use 16 to 256 (32 is the default)")));
    }
    let mut b = Zeroizing::new(vec![0u8; bytes]);
    rng.fill(&mut b).map_err(fail)?;
    let mut s = Zeroizing::new(String::with_capacity(bytes * 2));
    for x in b.iter() {
        s.push_str(&format!("{x:02x}"));
    }
    Ok(s)
}

/// Reads the cluster from an Inventory or Cluster document.
pub fn load_cluster(file: Option<&Path>, deny_warnings: bool) -> Result<(n3x_core::Cluster, String), Error> {
    let doc = n3x_core::io::read_document(file)?;
    let (cluster, warnings) = n3x_core::normalize::load_cluster(&doc)?;
    n3x_core::cli::report_warnings("n3x-secrets", &warnings, deny_warnings)?;
    Ok((cluster, n3x_core::io::input_name(file)))
}

/// `sops-config`.
pub fn sops_config(
    file: Option<&Path>,
    out: Option<&Path>,
    extra_admins: &[String],
    host_keys: Option<&Path>,
    deny_warnings: bool,
) -> Result<(), Error> {
    check_admins(extra_admins)?;
    let (mut cluster, _) = load_cluster(file, deny_warnings)?;
    if let Some(dir) = host_keys {
        for w in apply_host_keys(&mut cluster, dir)? {
            eprintln!("n3x-secrets: warning: {w}");
        }
    }
    let (files, warnings) = config::plan(&cluster, extra_admins);
    if deny_warnings && !warnings.is_empty() {
        return Err(Error::Failed(warnings.join("\n")));
    }
    for w in &warnings {
        eprintln!("n3x-secrets: warning: {w}");
    }
    // Headers never carry an absolute path (see n3x_core::io::header_input_name).
    let name = n3x_core::io::header_input_name(file, out.and_then(Path::parent));
    let text = config::render(&files, &name);
    match out {
        Some(p) if p.as_os_str() != "-" => write_atomic(p, text.as_bytes(), None),
        _ => write_stdout(text.as_bytes()),
    }
}

fn check_admins(extra_admins: &[String]) -> Result<(), Error> {
    for r in extra_admins {
        r.parse::<age::x25519::Recipient>()
            .map_err(|_| Error::Usage(format!("--add-admin {r:?}: expected an age recipient age1…")))?;
    }
    Ok(())
}

/// Fills in the host key of every node whose inventory entry has none from
/// `dir/<node>.pub` (written by `bootstrap-host --host-keys` or `host-key --host-keys`),
/// so a bootstrapped key reaches `.sops.yaml` without editing the inventory. Returns
/// warnings: a recorded key that differs from the inventory's (the inventory wins).
pub fn apply_host_keys(cluster: &mut n3x_core::Cluster, dir: &Path) -> Result<Vec<String>, Error> {
    let mut warnings = Vec::new();
    if !dir.is_dir() {
        return Ok(warnings);
    }
    for node in &mut cluster.nodes {
        let p = dir.join(format!("{}.pub", node.name));
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(Error::Read { path: p.display().to_string(), source }),
        };
        let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
        match identity::ssh_line_to_recipient(line) {
            Ok(Some(_)) => {}
            _ => {
                return Err(Error::Failed(format!(
                    "{}: expected one ssh-ed25519 public key line; re-record it with `n3x-secrets bootstrap-host {} --host-keys {}` or delete the file",
                    p.display(),
                    node.name,
                    dir.display()
                )))
            }
        }
        let recorded = line.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        match &node.host_key {
            None => node.host_key = Some(recorded),
            Some(k) if k.split_whitespace().take(2).collect::<Vec<_>>().join(" ") == recorded => {}
            Some(_) => warnings.push(format!(
                "node {}: the inventory's hostKey differs from the key recorded in {}; using the inventory's (remove one of them)",
                node.name,
                p.display()
            )),
        }
    }
    Ok(warnings)
}

/// Options of [`init`] beyond the cluster and the folder.
#[derive(Debug, Default)]
pub struct InitOptions<'a> {
    /// Extra admin recipients (as for `sops-config`), used without a `.sops.yaml`.
    pub extra_admins: &'a [String],
    /// Recorded host keys (see [`apply_host_keys`]).
    pub host_keys: Option<&'a Path>,
    /// Read existing files from here instead of the target folder.
    pub existing: Option<&'a Path>,
    /// Re-wrap data keys whose recipients differ from the `.sops.yaml` rule.
    pub update_keys: bool,
}

/// `init`: creates the encrypted secret files; never regenerates an existing secret.
/// With `update_keys`, an existing file whose recipients differ from its rule gets its
/// data key re-wrapped (values untouched), so a new host key or a removed node reaches
/// the file in the same run that changed `.sops.yaml`.
pub fn init(
    file: Option<&Path>,
    dir: &Path,
    config: Option<&Path>,
    opts: &InitOptions<'_>,
    rng: &mut dyn Rng,
    clock: &dyn Clock,
) -> Result<(), Error> {
    check_admins(opts.extra_admins)?;
    let (mut cluster, _) = load_cluster(file, false)?;
    if let Some(d) = opts.host_keys {
        // sops-config already printed these warnings; say nothing twice.
        let _ = apply_host_keys(&mut cluster, d)?;
    }
    let (files, _) = config::plan(&cluster, opts.extra_admins);
    let cfg = find_config(config)?;
    let mut writes: Vec<(PathBuf, String, Durability)> = Vec::new();
    let mut identities: Option<identity::Found> = None;
    let mut kept = 0usize;
    for f in &files {
        let rel = f.path.strip_prefix("secrets/").unwrap_or(&f.path);
        let target = dir.join(rel);
        let source = opts.existing.map_or_else(|| target.clone(), |e| e.join(rel));
        let wanted: Vec<&str> = match f.path.as_str() {
            config::CLUSTER_FILE => vec![config::SERVER_TOKEN],
            config::AGENT_FILE => vec![config::AGENT_TOKEN],
            _ => vec![],
        };
        let recipients = match &cfg {
            Some(c) => {
                let relp = rel_to(&c.dir, &target);
                c.config.rule_for(&relp).map(|r| r.groups()).ok_or_else(|| {
                    Error::Failed(format!(
                        "no creation rule in {} matches {relp}; re-run `n3x-secrets sops-config`",
                        c.path.display()
                    ))
                })?
            }
            None => vec![f.readers.iter().map(|(_, r)| r.clone()).collect()],
        };
        if source.exists() {
            let existing = open_encrypted(&source, None)?;
            let missing: Vec<&str> =
                wanted.iter().copied().filter(|k| existing.docs.first().and_then(|d| d.get(k)).is_none()).collect();
            let stale_keys = opts.update_keys && sops::recipient_groups(&existing.meta) != recipients;
            if missing.is_empty() && stale_keys {
                if identities.is_none() {
                    identities = Some(load_identities().map_err(|e| {
                        Error::Failed(format!(
                            "{}: its recipients must change, which needs an admin identity: {e}",
                            source.display()
                        ))
                    })?);
                }
                let Some(found) = identities.as_ref() else { continue };
                let key = sops::unwrap_key(&existing.meta, &found.identities, &found.tried)
                    .map_err(sops_err(&source.display().to_string()))?;
                let threshold = cfg
                    .as_ref()
                    .and_then(|c| c.config.rule_for(&rel_to(&c.dir, &target)))
                    .and_then(|r| r.shamir_threshold);
                let updated = sops::update_keys(&existing, &key, &recipients, threshold, rng)
                    .map_err(sops_err(&source.display().to_string()))?;
                eprintln!("{}: recipients updated", target.display());
                writes.push((target, sops::render_encrypted(&updated, Emit::default()), Durability::Durable));
                continue;
            }
            if missing.is_empty() {
                kept += 1;
                if source != target {
                    // Carried over unchanged: the original stays where it was, so no fsync.
                    let text = read_file(&source)?;
                    writes.push((target, text, Durability::Regenerable));
                }
                continue;
            }
            let d = decrypt_file(&source, &existing, false)?;
            let mut docs = d.docs.clone();
            if let Some(Node::Map(items)) = docs.first_mut() {
                for k in &missing {
                    items.push(MapItem::Pair(
                        k.to_string(),
                        Node::Scalar(Scalar::Str(token_text(rng, 32)?.to_string())),
                    ));
                }
            }
            let new = sops::reseal(&existing, docs, &d, rng, clock).map_err(sops_err(&target.display().to_string()))?;
            eprintln!("{}: added {}", target.display(), missing.join(", "));
            writes.push((target, sops::render_encrypted(&new, Emit::default()), Durability::Durable));
            continue;
        }
        let mut items = Vec::new();
        for k in &wanted {
            items.push(MapItem::Pair(k.to_string(), Node::Scalar(Scalar::Str(token_text(rng, 32)?.to_string()))));
        }
        let opts = if recipients.len() >= 2 {
            sops::EncryptOptions { key_groups: recipients, ..Default::default() }
        } else {
            sops::EncryptOptions { recipients: recipients.into_iter().flatten().collect(), ..Default::default() }
        };
        let enc = sops::encrypt(vec![Node::Map(items)], Format::Yaml, &opts, rng, clock)
            .map_err(sops_err(&target.display().to_string()))?;
        eprintln!(
            "{}: created{}",
            target.display(),
            if wanted.is_empty() { String::new() } else { format!(" ({})", wanted.join(", ")) }
        );
        // New tokens exist nowhere else: durable. A file with no value yet holds nothing
        // to lose (the next run creates it again), so it is not worth an fsync each at
        // fleet scale.
        let durability = if wanted.is_empty() { Durability::Regenerable } else { Durability::Durable };
        writes.push((target, sops::render_encrypted(&enc, Emit::default()), durability));
    }
    if kept > 0 {
        eprintln!("{kept} existing secret file(s) kept");
    }
    for (p, text, durability) in writes {
        write_file(&p, text.as_bytes(), None, durability)?;
    }
    Ok(())
}

/// `render-nix`.
pub fn render_nix(file: Option<&Path>, out: &Path, secrets_path: &str, deny_warnings: bool) -> Result<(), Error> {
    let (cluster, _) = load_cluster(file, deny_warnings)?;
    // Headers never carry an absolute path (see n3x_core::io::header_input_name).
    let name = n3x_core::io::header_input_name(file, Some(out));
    let files = crate::nixgen::render(&cluster, secrets_path, &name)?;
    let outputs: Vec<n3x_core::io::OutputFile> =
        files.into_iter().map(|(p, t)| n3x_core::io::OutputFile::text(p, t)).collect();
    n3x_core::io::write_all(out, &outputs)
}

/// `bootstrap-host`.
pub fn bootstrap_host(
    node: &str,
    file: Option<&Path>,
    out: &Path,
    force: bool,
    host_keys: Option<&Path>,
    rng: &mut dyn Rng,
) -> Result<(), Error> {
    if let Some(f) = file {
        let (cluster, name) = load_cluster(Some(f), false)?;
        if cluster.node(node).is_none() {
            let names: Vec<&str> = cluster.nodes.iter().map(|n| n.name.as_str()).collect();
            return Err(Error::Failed(format!("{name}: no node named {node:?}; nodes are: {}", names.join(", "))));
        }
    }
    let key_path = out.join("etc/ssh/ssh_host_ed25519_key");
    let pub_path = out.join("etc/ssh/ssh_host_ed25519_key.pub");
    if (key_path.exists() || pub_path.exists()) && !force {
        return Err(Error::Failed(format!(
            "{} already exists; refusing to replace a host key (pass --force to generate a new one; the old one is lost)",
            key_path.display()
        )));
    }
    let (private, public) = identity::generate_host_key(rng, &format!("root@{node}")).map_err(fail)?;
    let recipient = identity::ssh_line_to_recipient(&public).map_err(fail)?.ok_or_else(|| fail("no public key"))?;
    if force {
        let _ = std::fs::remove_file(&key_path);
    }
    create_new_private(&key_path, private.as_bytes())?;
    write_file(&pub_path, public.as_bytes(), None, Durability::Durable)?;
    eprintln!("wrote {} (0600) and {}", key_path.display(), pub_path.display());
    match host_keys {
        Some(dir) => {
            let p = record_host_key(dir, node, &public)?;
            eprintln!("recorded the public key in {}; the next render makes it a recipient", p.display());
        }
        None => eprintln!("set hostKey of {node} in the inventory to: {}", public.trim()),
    }
    eprintln!("install with: nixos-anywhere --extra-files {} …", out.display());
    write_stdout(format!("{recipient}\n").as_bytes())
}

/// Writes `dir/<node>.pub` (a public key: durable, since it names a key that exists
/// only on the machine or in its install folder). The node name must be a plain name.
pub fn record_host_key(dir: &Path, node: &str, public_line: &str) -> Result<PathBuf, Error> {
    if node.is_empty()
        || !node.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        || node.starts_with('.')
    {
        return Err(Error::Usage(format!("node {node:?}: expected a node name ([a-z0-9-])")));
    }
    let p = dir.join(format!("{node}.pub"));
    let mut line = public_line.trim().to_string();
    line.push('\n');
    write_file(&p, line.as_bytes(), None, Durability::Durable)?;
    Ok(p)
}

/// `host-key`: the server's ed25519 host key over SSH (no login). With `record`
/// (folder, node) the key is also written to `folder/node.pub`.
pub fn host_key(
    target: &str,
    known_hosts: Option<&Path>,
    timeout: Duration,
    record: Option<(&Path, &str)>,
) -> Result<(), Error> {
    let (host, port) = split_host_port(target)?;
    let addrs: Vec<_> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| Error::Failed(format!("cannot resolve {host}: {e}")))?
        .collect();
    let addr = addrs.first().ok_or_else(|| Error::Failed(format!("cannot resolve {host}")))?;
    let tcp = TcpStream::connect_timeout(addr, timeout).map_err(|e| {
        Error::Failed(match e.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                format!("{host}:{port}: connection refused (is sshd running on that port?)")
            }
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                format!("{host}:{port}: no answer within {}s (host down or port filtered)", timeout.as_secs())
            }
            _ => format!("{host}:{port}: cannot connect: {}", describe_io(&e)),
        })
    })?;
    let _ = tcp.set_read_timeout(Some(timeout));
    let _ = tcp.set_write_timeout(Some(timeout));
    let mut sess = ssh2::Session::new().map_err(|e| fail(format!("ssh: {e}")))?;
    sess.set_timeout(u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX));
    sess.method_pref(ssh2::MethodType::HostKey, "ssh-ed25519").map_err(|e| fail(format!("ssh: {e}")))?;
    sess.set_tcp_stream(tcp);
    sess.handshake().map_err(|e| {
        Error::Failed(format!(
            "{host}:{port}: SSH handshake failed: {} (the server did not answer within {}s, does not offer an ssh-ed25519 host key, or is not an SSH server)",
            e.message(),
            timeout.as_secs()
        ))
    })?;
    let (blob, kind) = sess.host_key().ok_or_else(|| fail(format!("{host}:{port}: the server sent no host key")))?;
    if !matches!(kind, ssh2::HostKeyType::Ed25519) {
        return Err(Error::Failed(format!("{host}:{port}: the server's host key is {kind:?}, not ssh-ed25519")));
    }
    let blob = blob.to_vec();
    if let Some(kh_path) = known_hosts {
        let mut kh = sess.known_hosts().map_err(|e| fail(format!("known_hosts: {e}")))?;
        kh.read_file(kh_path, ssh2::KnownHostFileKind::OpenSSH)
            .map_err(|e| Error::Failed(format!("cannot read {}: {}", kh_path.display(), e.message())))?;
        match kh.check_port(&host, port, &blob) {
            ssh2::CheckResult::Match => eprintln!("{host}:{port}: host key matches {}", kh_path.display()),
            ssh2::CheckResult::Mismatch => {
                return Err(Error::Failed(format!(
                    "{host}:{port}: HOST KEY MISMATCH: the server's key differs from the one in {}; someone may be intercepting the connection, or the host was reinstalled. Check before trusting it",
                    kh_path.display()
                )))
            }
            ssh2::CheckResult::NotFound => {
                return Err(Error::Failed(format!("{host}:{port}: no entry for this host in {}", kh_path.display())))
            }
            ssh2::CheckResult::Failure => return Err(Error::Failed(format!("{}: cannot check the host key", kh_path.display()))),
        }
    }
    use base64::Engine as _;
    let line = format!("ssh-ed25519 {}", base64::engine::general_purpose::STANDARD.encode(&blob));
    let r = identity::ssh_line_to_recipient(&line).map_err(fail)?.ok_or_else(|| fail("no key"))?;
    if let Some((dir, node)) = record {
        let p = record_host_key(dir, node, &line)?;
        eprintln!("recorded {}", p.display());
    }
    write_stdout(format!("{line}\n{r}\n").as_bytes())
}

fn split_host_port(t: &str) -> Result<(String, u16), Error> {
    if let Some(rest) = t.strip_prefix('[') {
        let (h, p) = rest.split_once(']').ok_or_else(|| Error::Usage(format!("{t:?}: missing ]")))?;
        let port = match p.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| Error::Usage(format!("{t:?}: invalid port")))?,
            None => 22,
        };
        return Ok((h.to_string(), port));
    }
    match t.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => {
            Ok((h.to_string(), p.parse().map_err(|_| Error::Usage(format!("{t:?}: invalid port {p:?}")))?))
        }
        _ => Ok((t.to_string(), 22)),
    }
}

/// `lint`: returns the findings (the caller prints and sets the exit code). Every file
/// under the paths is read by content, whatever its name: a private key in `notes.txt`
/// or an extension-less `id_ed25519` is found as well as one in a `.yaml` file. A secret
/// file a `.sops.yaml` rule covers must be encrypted and have exactly the rule's
/// recipients (a missing one cannot decrypt; an extra one, e.g. a removed node, still can).
pub fn lint(paths: &[PathBuf]) -> Result<Vec<crate::lint::Finding>, Error> {
    let cfg = find_config(None)?;
    // Each file with its canonical path when it is known without asking the file system
    // again: below a folder given on the command line, `collect` follows no symlink, so the
    // folder's canonical path (resolved once) plus the relative path is exact.
    let mut files: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for p in paths {
        let mut found = Vec::new();
        collect(p, &mut found)?;
        let root = std::path::absolute(p).and_then(|a| a.canonicalize()).ok().filter(|_| p.is_dir());
        for f in found {
            let canonical = root.as_ref().and_then(|r| f.strip_prefix(p).ok().map(|rel| r.join(rel)));
            files.push((f, canonical));
        }
    }
    files.sort();
    let limit = n3x_core::io::max_input_size()?;
    // A fleet render's tree holds thousands of files and reading them is most of lint's
    // time: each thread takes a contiguous share and the findings are joined in file order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let share = files.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<crate::lint::Finding>, Error>> = std::thread::scope(|s| {
        let workers: Vec<_> =
            files.chunks(share).map(|part| s.spawn(|| lint_files(part, cfg.as_ref(), limit))).collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err(Error::Failed("lint: a worker thread failed".into()))))
            .collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// [`lint`] for one share of the files.
fn lint_files(
    files: &[(PathBuf, Option<PathBuf>)],
    cfg: Option<&FoundConfig>,
    limit: u64,
) -> Result<Vec<crate::lint::Finding>, Error> {
    let mut out = Vec::new();
    for (f, canonical) in files {
        let name = f.display().to_string();
        let file = std::fs::File::open(f).map_err(|source| Error::Read { path: name.clone(), source })?;
        // Within the input cap like every read; a bigger file is a finding (it cannot
        // be checked, so it cannot pass), not a crash or a silent skip.
        let Some(bytes) = n3x_core::io::read_file_within(file, &name, limit)? else {
            out.push(crate::lint::Finding {
                file: name,
                line: 0,
                message: format!(
                    "larger than the input limit of {}, so lint cannot check it: remove it from the tree, or raise the limit with {}=SIZE",
                    n3x_core::units::ByteSize(limit),
                    n3x_core::io::MAX_INPUT_ENV
                ),
            });
            continue;
        };
        // Lossy: a key inside a file with some binary bytes is still found (valid UTF-8,
        // nearly every file, is checked by the faster `from_utf8` and borrowed).
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(&bytes),
        };
        out.extend(crate::lint::check_text(&name, &text));
        let Some(c) = cfg else { continue };
        let rel = match canonical {
            Some(canonical) => strip_dir(&c.dir, canonical),
            None => rel_to(&c.dir, f),
        };
        if rel.ends_with(".sops.yaml") {
            continue;
        }
        // A catch-all rule (no path_regex) does not make every file a secret file.
        let Some(rule) = c.config.rule_for(&rel).filter(|r| r.path_regex.is_some()) else {
            continue;
        };
        let fmt = Format::from_path(&name).unwrap_or(Format::Binary);
        match sops::parse_encrypted(&text, fmt) {
            Err(_) => out.push(crate::lint::Finding {
                file: name,
                line: 0,
                message: format!(
                    "a creation rule of {} covers this file but it is not encrypted: run `n3x-secrets encrypt -i {}`",
                    c.path.display(),
                    f.display()
                ),
            }),
            Ok(file) => {
                let has: Vec<String> = sops::recipient_groups(&file.meta).into_iter().flatten().collect();
                let wants: Vec<String> = rule.groups().into_iter().flatten().collect();
                for r in wants.iter().filter(|r| !has.contains(r)) {
                    out.push(crate::lint::Finding {
                        file: name.clone(),
                        line: 0,
                        message: format!("{} requires recipient {r}, which cannot decrypt this file: run `n3x-secrets updatekeys {}` (or render again)", c.path.display(), f.display()),
                    });
                }
                for r in has.iter().filter(|r| !wants.contains(r)) {
                    out.push(crate::lint::Finding {
                        file: name.clone(),
                        line: 0,
                        message: format!("recipient {r} can still decrypt this file but {} no longer lists it: run `n3x-secrets updatekeys {}` (and rotate the values it could read)", c.path.display(), f.display()),
                    });
                }
            }
        }
    }
    Ok(out)
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let meta = std::fs::metadata(p).map_err(|source| Error::Read { path: p.display().to_string(), source })?;
    if meta.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let rd = std::fs::read_dir(p).map_err(|source| Error::Read { path: p.display().to_string(), source })?;
    for e in rd {
        let e = e.map_err(|source| Error::Read { path: p.display().to_string(), source })?;
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        // Version control and build output only; every other file is read, whatever its name.
        if matches!(name.as_str(), ".git" | "target" | "node_modules" | "result") {
            continue;
        }
        let kind = e.file_type().map_err(|source| Error::Read { path: path.display().to_string(), source })?;
        if kind.is_dir() {
            collect(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}
