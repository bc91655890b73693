//! The sops file format: encrypting and decrypting values (AES-256-GCM with the
//! key-path AAD), the MAC, the `sops` metadata block, the data key wrapped per age
//! recipient, and the operations on encrypted files (set, unset, updatekeys,
//! rotate). The reference is `reference/sops-format.md`; section numbers
//! below point into it.
//!
//! Pure apart from the seams: randomness and the clock come in as arguments. (The
//! `age` crate draws its own ephemeral X25519 keys from the OS generator when it
//! wraps the data key; it offers no way to pass a generator in.)

use std::collections::HashMap;
use std::io::{Read, Write};

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};
use base64::Engine as _;
use sha2::Digest;
use zeroize::{Zeroize, Zeroizing};

use crate::gofmt::{self, Timestamp};
use crate::seams::{Clock, Rng};
use crate::tree::{self, MapItem, Node, Scalar};

/// The sops version written into new files (the format version we reproduce).
pub const SOPS_VERSION: &str = "3.11.0";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why a sops operation failed. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SopsError {
    /// The input could not be parsed.
    #[error("{0}")]
    Parse(String),
    /// The metadata block is missing or wrong.
    #[error("{0}")]
    Metadata(String),
    /// No identity could decrypt the data key.
    #[error("{0}")]
    NoKey(String),
    /// A value failed to decrypt (tampered, wrong key, malformed).
    #[error("{0}")]
    Value(String),
    /// The MAC did not verify.
    #[error("{0}")]
    Mac(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

type Result<T> = std::result::Result<T, SopsError>;

/// File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (`.yaml`, `.yml`).
    Yaml,
    /// JSON (`.json`).
    Json,
    /// dotenv (`.env`).
    Dotenv,
    /// Any other file, kept whole as one string under `data` (sops' binary store,
    /// written as JSON). Only UTF-8 text is supported.
    Binary,
}

impl Format {
    /// The format sops picks by file extension: YAML, JSON, dotenv, else binary
    /// (`None` only for `.ini`, which is not supported).
    pub fn from_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else if lower.ends_with(".json") {
            Some(Format::Json)
        } else if lower.ends_with(".env") {
            Some(Format::Dotenv)
        } else if lower.ends_with(".ini") {
            None
        } else {
            Some(Format::Binary)
        }
    }
    /// From `--input-type` text.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "dotenv" | "env" => Some(Format::Dotenv),
            "binary" => Some(Format::Binary),
            _ => None,
        }
    }
}

/// Which leaves are encrypted (§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptRule {
    /// Plaintext when any key on the path ends with the suffix.
    UnencryptedSuffix(String),
    /// Encrypted only when some key on the path ends with the suffix.
    EncryptedSuffix(String),
    /// Plaintext when any key on the path matches.
    UnencryptedRegex(String),
    /// Encrypted only when some key on the path matches.
    EncryptedRegex(String),
}

impl Default for CryptRule {
    fn default() -> Self {
        CryptRule::UnencryptedSuffix("_unencrypted".into())
    }
}

impl CryptRule {
    /// The metadata field name.
    pub fn field(&self) -> &'static str {
        match self {
            CryptRule::UnencryptedSuffix(_) => "unencrypted_suffix",
            CryptRule::EncryptedSuffix(_) => "encrypted_suffix",
            CryptRule::UnencryptedRegex(_) => "unencrypted_regex",
            CryptRule::EncryptedRegex(_) => "encrypted_regex",
        }
    }
    /// The value.
    pub fn value(&self) -> &str {
        match self {
            CryptRule::UnencryptedSuffix(s)
            | CryptRule::EncryptedSuffix(s)
            | CryptRule::UnencryptedRegex(s)
            | CryptRule::EncryptedRegex(s) => s,
        }
    }
    /// Builds a rule from a metadata/config field name.
    pub fn from_field(field: &str, value: String) -> Option<CryptRule> {
        Some(match field {
            "unencrypted_suffix" => CryptRule::UnencryptedSuffix(value),
            "encrypted_suffix" => CryptRule::EncryptedSuffix(value),
            "unencrypted_regex" => CryptRule::UnencryptedRegex(value),
            "encrypted_regex" => CryptRule::EncryptedRegex(value),
            _ => return None,
        })
    }
    fn compile(&self) -> Result<Matcher> {
        Ok(match self {
            CryptRule::UnencryptedSuffix(s) => Matcher::Suffix(s.clone(), false),
            CryptRule::EncryptedSuffix(s) => Matcher::Suffix(s.clone(), true),
            CryptRule::UnencryptedRegex(r) | CryptRule::EncryptedRegex(r) => {
                let re = regex::Regex::new(r)
                    .map_err(|e| SopsError::Metadata(format!("invalid {} {r:?}: {e}", self.field())))?;
                Matcher::Regex(re, matches!(self, CryptRule::EncryptedRegex(_)))
            }
        })
    }
}

/// The field names of crypt rules sops knows; the comment-regex forms are read
/// but not supported.
pub const RULE_FIELDS: &[&str] = &[
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
];

enum Matcher {
    Suffix(String, bool),
    Regex(regex::Regex, bool),
}

impl Matcher {
    fn encrypts(&self, path: &[String]) -> bool {
        match self {
            Matcher::Suffix(s, enc) => path.iter().any(|k| k.ends_with(s.as_str())) == *enc,
            Matcher::Regex(re, enc) => path.iter().any(|k| re.is_match(k)) == *enc,
        }
    }
}

/// One data key copy for an age recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeEntry {
    /// `age1…`.
    pub recipient: String,
    /// The armored age file holding the 32-byte data key.
    pub enc: String,
}

/// The `sops` metadata block (§5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Data key copies (one key group: the whole key per recipient).
    pub age: Vec<AgeEntry>,
    /// With two or more key groups: per group, the copies of that group's Shamir share.
    pub key_groups: Vec<Vec<AgeEntry>>,
    /// Shares needed to rebuild the key (default: the number of groups).
    pub shamir_threshold: Option<usize>,
    /// `lastmodified`, as written.
    pub lastmodified: String,
    /// The encrypted MAC.
    pub mac: String,
    /// The crypt rule.
    pub rule: CryptRule,
    /// Whether only encrypted values enter the MAC.
    pub mac_only_encrypted: bool,
    /// `version`.
    pub version: String,
}

/// A parsed encrypted file.
#[derive(Debug, Clone, PartialEq)]
pub struct SopsFile {
    /// Format.
    pub format: Format,
    /// The documents without their `sops` key (values still encrypted).
    pub docs: Vec<Node>,
    /// Metadata.
    pub meta: Metadata,
}

/// The 32-byte data key, wiped when dropped.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    /// A new random key.
    pub fn generate(rng: &mut dyn Rng) -> Result<DataKey> {
        let mut k = Zeroizing::new([0u8; 32]);
        rng.fill(&mut k[..]).map_err(SopsError::Other)?;
        Ok(DataKey(k))
    }
    /// The raw bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// IVs seen while decrypting, reused when the same value is re-encrypted at the
/// same path (so `edit`/`set` leave unchanged values byte-identical, as sops does).
#[derive(Default)]
pub struct IvCache(HashMap<(Vec<u8>, String), Vec<u8>>);

impl std::fmt::Debug for IvCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IvCache({} entries)", self.0.len())
    }
}

impl Drop for Decrypted {
    fn drop(&mut self) {
        for d in self.docs.iter_mut() {
            tree::wipe(d);
        }
    }
}

impl Drop for IvCache {
    fn drop(&mut self) {
        for ((mut plain, _), _) in self.0.drain() {
            plain.zeroize();
        }
    }
}

// ---------------------------------------------------------------------------
// Values (§2)

/// Whether `s` looks like an encrypted sops value.
pub fn is_encrypted_value(s: &str) -> bool {
    split_enc(s).is_some()
}

/// A decrypted value.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    /// A typed leaf.
    Scalar(Scalar),
    /// A comment.
    Comment(String),
}

/// The bytes sops encrypts and hashes for a leaf (§2, §7).
pub fn canonical(v: &Scalar) -> Option<(Vec<u8>, &'static str)> {
    Some(match v {
        Scalar::Null => return None,
        Scalar::Str(s) => (s.as_bytes().to_vec(), "str"),
        Scalar::Int(i) => (i.to_string().into_bytes(), "int"),
        Scalar::Float(f) => (gofmt::format_f(*f).into_bytes(), "float"),
        Scalar::Bool(b) => ((if *b { "True" } else { "False" }).as_bytes().to_vec(), "bool"),
        Scalar::Time(t) => (t.rfc3339_nano().into_bytes(), "time"),
    })
}

fn gcm_encrypt(key: &DataKey, iv: &[u8], plain: &[u8], aad: &str) -> Result<Vec<u8>> {
    let payload = Payload { msg: plain, aad: aad.as_bytes() };
    match iv.len() {
        32 => AesGcm::<Aes256, U32>::new_from_slice(key.bytes())
            .map_err(|_| SopsError::Other("bad data key length".into()))?
            .encrypt(Nonce::<U32>::from_slice(iv), payload),
        12 => aes_gcm::Aes256Gcm::new_from_slice(key.bytes())
            .map_err(|_| SopsError::Other("bad data key length".into()))?
            .encrypt(aes_gcm::Nonce::from_slice(iv), payload),
        n => return Err(SopsError::Value(format!("unsupported IV length {n}"))),
    }
    .map_err(|_| SopsError::Other("AES-GCM encryption failed".into()))
}

fn gcm_decrypt(key: &DataKey, iv: &[u8], ct: &[u8], aad: &str) -> std::result::Result<Vec<u8>, ()> {
    let payload = Payload { msg: ct, aad: aad.as_bytes() };
    match iv.len() {
        32 => AesGcm::<Aes256, U32>::new_from_slice(key.bytes())
            .map_err(|_| ())?
            .decrypt(Nonce::<U32>::from_slice(iv), payload)
            .map_err(|_| ()),
        12 => aes_gcm::Aes256Gcm::new_from_slice(key.bytes())
            .map_err(|_| ())?
            .decrypt(aes_gcm::Nonce::from_slice(iv), payload)
            .map_err(|_| ()),
        _ => Err(()),
    }
}

/// Encrypts `plain` (already canonical bytes) as an `ENC[…]` string.
pub fn encrypt_bytes(key: &DataKey, iv: &[u8], plain: &[u8], aad: &str, typ: &str) -> Result<String> {
    let mut out = gcm_encrypt(key, iv, plain, aad)?;
    let tag = out.split_off(out.len().saturating_sub(16));
    Ok(format!("ENC[AES256_GCM,data:{},iv:{},tag:{},type:{typ}]", B64.encode(&out), B64.encode(iv), B64.encode(&tag)))
}

/// Splits `ENC[AES256_GCM,data:D,iv:I,tag:T,type:Y]` into its fields with the same
/// greedy semantics as sops' regex `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`
/// (each capture takes the rightmost split that still lets the rest match).
fn split_enc(s: &str) -> Option<(&str, &str, &str, &str)> {
    let body = s.strip_prefix("ENC[AES256_GCM,data:")?;
    let close = body.rfind(']')?;
    let inner = &body[..close];
    let t = inner.rfind(",type:")?;
    let typ = &inner[t + 6..];
    let g = inner[..t].rfind(",tag:")?;
    let tag = &inner[g + 5..t];
    let i = inner[..g].rfind(",iv:")?;
    let iv = &inner[i + 4..g];
    let data = &inner[..i];
    if [data, iv, tag, typ].iter().any(|x| x.is_empty()) {
        return None;
    }
    Some((data, iv, tag, typ))
}

/// Decrypts an `ENC[…]` string; `where_` names the value in errors. Returns the
/// plaintext bytes, the type and the IV.
fn decrypt_raw(key: &DataKey, s: &str, aad: &str, where_: &str) -> Result<(Zeroizing<Vec<u8>>, String, Vec<u8>)> {
    let (data, iv, tag, typ) = split_enc(s).ok_or_else(|| {
        SopsError::Value(format!(
            "{where_}: the value is not encrypted (it does not match sops' ENC[AES256_GCM,…] format); \
             the file was edited by hand or is damaged: restore it, or re-encrypt the plaintext"
        ))
    })?;
    let dec = |what: &str, v: &str| {
        B64.decode(v).map_err(|_| {
            SopsError::Value(format!("{where_}: the {what} of the encrypted value is not valid base64 (damaged file)"))
        })
    };
    let mut data = dec("data", data)?;
    let iv = dec("iv", iv)?;
    let tag = dec("tag", tag)?;
    let typ = typ.to_string();
    if tag.len() != 16 {
        return Err(SopsError::Value(format!("{where_}: the tag of the encrypted value is damaged")));
    }
    data.extend_from_slice(&tag);
    let plain = gcm_decrypt(key, &iv, &data, aad).map_err(|_| {
        SopsError::Value(format!(
            "{where_}: the value does not decrypt (authentication failed): it was changed, moved from another key, \
             or encrypted with another data key"
        ))
    })?;
    Ok((Zeroizing::new(plain), typ, iv))
}

fn typed(bytes: &[u8], typ: &str, where_: &str) -> Result<Plain> {
    let text = || {
        std::str::from_utf8(bytes).map_err(|_| SopsError::Value(format!("{where_}: the decrypted value is not UTF-8")))
    };
    let bad = |t: &str| SopsError::Value(format!("{where_}: the decrypted value is not a valid {t}"));
    Ok(match typ {
        "str" => Plain::Scalar(Scalar::Str(text()?.to_string())),
        "bytes" => Plain::Scalar(Scalar::Str(String::from_utf8_lossy(bytes).into_owned())),
        "int" => Plain::Scalar(Scalar::Int(text()?.parse().map_err(|_| bad("int"))?)),
        "float" => Plain::Scalar(Scalar::Float(gofmt::parse_float(text()?).ok_or_else(|| bad("float"))?)),
        "bool" => Plain::Scalar(Scalar::Bool(gofmt::parse_bool(text()?).ok_or_else(|| bad("bool"))?)),
        "time" => Plain::Scalar(Scalar::Time(Timestamp::parse_rfc3339(text()?).ok_or_else(|| bad("time"))?)),
        "comment" => Plain::Comment(text()?.to_string()),
        other => {
            return Err(SopsError::Value(format!("{where_}: unknown value type {other:?} in the encrypted value")))
        }
    })
}

/// The AAD of a value: the map keys on its path, each followed by `:` (§3).
pub fn aad(path: &[String]) -> String {
    let mut s = String::new();
    for k in path {
        s.push_str(k);
        s.push(':');
    }
    if s.is_empty() {
        s.push(':');
    }
    s
}

fn show_path(path: &[String]) -> String {
    if path.is_empty() {
        return "(top level)".into();
    }
    path.iter().map(|k| format!("[{k:?}]")).collect()
}

// ---------------------------------------------------------------------------
// Tree walks

struct Walk<'a> {
    key: &'a DataKey,
    matcher: Matcher,
    mac_only: bool,
    hash: sha2::Sha512,
    rng: Option<&'a mut dyn Rng>,
    ivs: Option<&'a IvCache>,
    seen_ivs: Option<&'a mut IvCache>,
    warnings: Vec<String>,
}

impl Walk<'_> {
    fn new_iv(&mut self, plain: &[u8], aad: &str) -> Result<Vec<u8>> {
        if let Some(iv) = self.ivs.and_then(|c| c.0.get(&(plain.to_vec(), aad.to_string()))) {
            return Ok(iv.clone());
        }
        let mut iv = vec![0u8; 32];
        match self.rng.as_deref_mut() {
            Some(r) => r.fill(&mut iv).map_err(SopsError::Other)?,
            None => return Err(SopsError::Other("no random generator for encryption".into())),
        }
        Ok(iv)
    }

    fn encrypt_node(&mut self, node: &mut Node, path: &mut Vec<String>) -> Result<()> {
        match node {
            Node::Map(items) => {
                for item in items.iter_mut() {
                    match item {
                        MapItem::Comment(c) => {
                            if self.matcher.encrypts(path) {
                                let a = aad(path);
                                let iv = self.new_iv(c.as_bytes(), &a)?;
                                let enc = encrypt_bytes(self.key, &iv, c.as_bytes(), &a, "comment")?;
                                std::mem::replace(c, enc).zeroize();
                            }
                        }
                        MapItem::Pair(k, v) => {
                            path.push(k.clone());
                            self.encrypt_node(v, path)?;
                            path.pop();
                        }
                    }
                }
            }
            Node::Seq(items) => {
                for item in items.iter_mut() {
                    if let Node::Comment(c) = item {
                        if self.matcher.encrypts(path) {
                            let a = aad(path);
                            let iv = self.new_iv(c.as_bytes(), &a)?;
                            *item = Node::str(encrypt_bytes(self.key, &iv, c.as_bytes(), &a, "comment")?);
                        }
                    } else {
                        self.encrypt_node(item, path)?;
                    }
                }
            }
            Node::Scalar(s) => {
                let Some((bytes, typ)) = canonical(s) else { return Ok(()) };
                let bytes = Zeroizing::new(bytes);
                let enc = self.matcher.encrypts(path);
                if !self.mac_only || enc {
                    self.hash.update(&bytes[..]);
                }
                if enc && !bytes.is_empty() {
                    let a = aad(path);
                    let iv = self.new_iv(&bytes, &a)?;
                    let enc = Scalar::Str(encrypt_bytes(self.key, &iv, &bytes, &a, typ)?);
                    let mut old = std::mem::replace(s, enc);
                    tree::wipe_scalar(&mut old);
                }
            }
            Node::Comment(_) => {}
        }
        Ok(())
    }

    fn remember(&mut self, plain: &[u8], aad: &str, iv: Vec<u8>) {
        if let Some(c) = self.seen_ivs.as_deref_mut() {
            c.0.insert((plain.to_vec(), aad.to_string()), iv);
        }
    }

    fn decrypt_comment(&mut self, c: &str, path: &[String]) -> Option<String> {
        let a = aad(path);
        match decrypt_raw(self.key, c, &a, &show_path(path)) {
            Ok((plain, _, iv)) => {
                self.remember(&plain, &a, iv);
                Some(String::from_utf8_lossy(&plain).into_owned())
            }
            Err(_) => {
                self.warnings.push(format!("a comment in {} does not decrypt; it is kept as it is", show_path(path)));
                None
            }
        }
    }

    fn decrypt_node(&mut self, node: &mut Node, path: &mut Vec<String>) -> Result<()> {
        match node {
            Node::Map(items) => {
                for item in items.iter_mut() {
                    match item {
                        MapItem::Comment(c) if c.starts_with("ENC[AES256_GCM,") => {
                            if let Some(p) = self.decrypt_comment(c, path) {
                                *c = p;
                            }
                        }
                        MapItem::Comment(_) => {}
                        MapItem::Pair(k, v) => {
                            path.push(k.clone());
                            self.decrypt_node(v, path)?;
                            path.pop();
                        }
                    }
                }
            }
            Node::Seq(items) => {
                for item in items.iter_mut() {
                    if let Node::Scalar(Scalar::Str(s)) = item {
                        if s.starts_with("ENC[") && s.ends_with(",type:comment]") {
                            if let Some(p) = self.decrypt_comment(&s.clone(), path) {
                                *item = Node::Comment(p);
                            }
                            continue;
                        }
                    }
                    self.decrypt_node(item, path)?;
                }
            }
            Node::Scalar(s) => {
                let enc = self.matcher.encrypts(path);
                if enc {
                    match s {
                        Scalar::Null => return Ok(()),
                        Scalar::Str(t) if t.is_empty() => return Ok(()),
                        Scalar::Str(t) => {
                            let a = aad(path);
                            let (plain, typ, iv) = decrypt_raw(self.key, t, &a, "")
                                .map_err(|e| SopsError::Value(format!("{}{e}", show_path(path))))?;
                            match typed(&plain, &typ, "")
                                .map_err(|e| SopsError::Value(format!("{}{e}", show_path(path))))?
                            {
                                Plain::Scalar(v) => {
                                    if let Some((bytes, _)) = canonical(&v) {
                                        self.hash.update(&bytes);
                                    }
                                    self.remember(&plain, &a, iv);
                                    *s = v;
                                }
                                Plain::Comment(_) => {
                                    return Err(SopsError::Value(format!(
                                        "{}: a comment where a value belongs",
                                        show_path(path)
                                    )))
                                }
                            }
                        }
                        _ => {
                            return Err(SopsError::Value(format!(
                                "{}: the value is not encrypted (it does not match sops' ENC[AES256_GCM,…] format); \
                                 the file was edited by hand or is damaged",
                                show_path(path)
                            )))
                        }
                    }
                } else if !self.mac_only {
                    if let Some((bytes, _)) = canonical(s) {
                        self.hash.update(&bytes);
                    }
                }
            }
            Node::Comment(_) => {}
        }
        Ok(())
    }
}

fn mac_hash_start(mac_only: bool) -> sha2::Sha512 {
    let mut h = sha2::Sha512::new();
    if mac_only {
        h.update(sha2::Sha256::digest(b"sops"));
    }
    h
}

fn hex_upper(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

fn mac_aad(lastmodified: &str) -> Result<String> {
    Timestamp::parse_rfc3339(lastmodified).map(|t| t.rfc3339()).ok_or_else(|| {
        SopsError::Metadata(format!(
            "sops.lastmodified {lastmodified:?} is not an RFC 3339 time; the metadata is damaged"
        ))
    })
}

// ---------------------------------------------------------------------------
// Data key (age, §4)

/// Encrypts the data key to one age recipient, armored, as sops stores it.
pub fn wrap_key(key: &DataKey, recipient: &str) -> Result<String> {
    wrap_bytes(key.bytes(), recipient)
}

/// Identities that may open data key copies (X25519 and SSH keys).
pub type Identities = [Box<dyn age::Identity>];

/// Parses a recipient as sops accepts it: `age1…` (X25519) or an `ssh-ed25519 …` /
/// `ssh-rsa …` public key line.
pub fn parse_recipient(r: &str) -> std::result::Result<Box<dyn age::Recipient>, String> {
    let bad = || {
        format!("invalid age recipient {r:?}: expected age1… (from `n3x-secrets pubkey` or `ssh-to-age`) or an ssh-ed25519 public key")
    };
    if r.starts_with("ssh-") {
        return r.parse::<age::ssh::Recipient>().map(|x| Box::new(x) as Box<dyn age::Recipient>).map_err(|_| bad());
    }
    r.parse::<age::x25519::Recipient>().map(|x| Box::new(x) as Box<dyn age::Recipient>).map_err(|_| bad())
}

/// Encrypts bytes (a key or a Shamir share) to one age recipient, armored.
fn wrap_bytes(bytes: &[u8], recipient: &str) -> Result<String> {
    let r = parse_recipient(recipient).map_err(SopsError::Other)?;
    let enc = age::Encryptor::with_recipients(std::iter::once(r.as_ref()))
        .map_err(|e| SopsError::Other(format!("age: {e}")))?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| SopsError::Other(format!("age armor: {e}")))?;
    let mut w = enc.wrap_output(armor).map_err(|e| SopsError::Other(format!("age: {e}")))?;
    w.write_all(bytes).map_err(|e| SopsError::Other(format!("age: {e}")))?;
    let armor = w.finish().map_err(|e| SopsError::Other(format!("age: {e}")))?;
    armor.finish().map_err(|e| SopsError::Other(format!("age armor: {e}")))?;
    String::from_utf8(out).map_err(|_| SopsError::Other("age armor is not text".into()))
}

fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

fn gf_inv(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8).
    let (mut r, mut base, mut e) = (1u8, a, 254u8);
    while e > 0 {
        if e & 1 == 1 {
            r = gf_mul(r, base);
        }
        base = gf_mul(base, base);
        e >>= 1;
    }
    r
}

/// Splits the key into `n` Shamir shares over GF(2^8) (AES field), `t` needed; each
/// share is 32 y-bytes followed by its x-coordinate (1..=n), as sops stores them (§10).
pub fn shamir_split(key: &DataKey, n: usize, t: usize, rng: &mut dyn Rng) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    if n < 2 || t < 2 || t > n || n > 255 {
        return Err(SopsError::Other(format!(
            "invalid Shamir parameters: {n} groups, threshold {t} (need 2 <= threshold <= groups)"
        )));
    }
    let mut coeffs = Zeroizing::new(vec![0u8; 32 * (t - 1)]);
    rng.fill(&mut coeffs).map_err(SopsError::Other)?;
    let mut shares = Vec::new();
    for x in 1..=n {
        let x = x as u8;
        let mut share = Zeroizing::new(vec![0u8; 33]);
        for (i, &secret) in key.bytes().iter().enumerate() {
            // Horner: a_{t-1} x^{t-1} + … + a_1 x + secret.
            let mut y = 0u8;
            for k in (0..t - 1).rev() {
                y = gf_mul(y, x) ^ coeffs[i * (t - 1) + k];
            }
            share[i] = gf_mul(y, x) ^ secret;
        }
        share[32] = x;
        shares.push(share);
    }
    Ok(shares)
}

/// Rebuilds the key from shares (Lagrange interpolation at x = 0).
pub fn shamir_combine(shares: &[Zeroizing<Vec<u8>>]) -> Result<DataKey> {
    if shares.iter().any(|s| s.len() != 33) {
        return Err(SopsError::NoKey("a Shamir share has the wrong length (damaged file)".into()));
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[32]).collect();
    let mut k = Zeroizing::new([0u8; 32]);
    for (i, out) in k.iter_mut().enumerate() {
        let mut acc = 0u8;
        for (j, sj) in shares.iter().enumerate() {
            let mut l = 1u8;
            for (m, &xm) in xs.iter().enumerate() {
                if m != j {
                    l = gf_mul(l, gf_mul(xm, gf_inv(xm ^ xs[j])));
                }
            }
            acc ^= gf_mul(sj[i], l);
        }
        *out = acc;
    }
    Ok(DataKey(k))
}

/// The wrapped key: flat copies (one group), or per-group share copies and the threshold.
pub type Wrapped = (Vec<AgeEntry>, Vec<Vec<AgeEntry>>, Option<usize>);

/// Wraps the key for recipient groups: one group gives the flat `age` list (the whole
/// key per recipient); two or more give Shamir shares, one per group.
pub fn wrap_groups(
    key: &DataKey,
    groups: &[Vec<String>],
    threshold: Option<usize>,
    rng: &mut dyn Rng,
) -> Result<Wrapped> {
    let groups: Vec<&Vec<String>> = groups.iter().filter(|g| !g.is_empty()).collect();
    match groups.len() {
        0 => Err(SopsError::Other("no recipients".into())),
        1 => {
            let mut flat = Vec::new();
            for r in groups[0] {
                flat.push(AgeEntry { recipient: r.clone(), enc: wrap_key(key, r)? });
            }
            Ok((flat, Vec::new(), None))
        }
        n => {
            let t = threshold.unwrap_or(n).min(n);
            let shares = shamir_split(key, n, t, rng)?;
            let mut out = Vec::new();
            for (g, share) in groups.iter().zip(shares.iter()) {
                let mut entries = Vec::new();
                for r in g.iter() {
                    entries.push(AgeEntry { recipient: r.clone(), enc: wrap_bytes(share, r)? });
                }
                out.push(entries);
            }
            Ok((Vec::new(), out, Some(t)))
        }
    }
}

/// The recipients of the file, as groups (one group for the flat form).
pub fn recipient_groups(meta: &Metadata) -> Vec<Vec<String>> {
    if meta.key_groups.is_empty() {
        vec![meta.age.iter().map(|e| e.recipient.clone()).collect()]
    } else {
        meta.key_groups.iter().map(|g| g.iter().map(|e| e.recipient.clone()).collect()).collect()
    }
}

fn unwrap_entry(entry: &AgeEntry, identities: &Identities, reasons: &mut Vec<String>) -> Option<Zeroizing<Vec<u8>>> {
    let reader = age::armor::ArmoredReader::new(entry.enc.as_bytes());
    let dec = match age::Decryptor::new(reader) {
        Ok(d) => d,
        Err(e) => {
            reasons.push(format!("{}: the age data key copy is damaged ({e})", entry.recipient));
            return None;
        }
    };
    match dec.decrypt(identities.iter().map(|i| i.as_ref())) {
        Ok(mut r) => {
            let mut buf = Zeroizing::new(Vec::new());
            if r.read_to_end(&mut buf).is_err() {
                reasons.push(format!("{}: the data key copy is damaged", entry.recipient));
                return None;
            }
            Some(buf)
        }
        Err(age::DecryptError::NoMatchingKeys) => {
            reasons.push(format!("{}: no matching identity", entry.recipient));
            None
        }
        Err(e) => {
            reasons.push(format!("{}: {e}", entry.recipient));
            None
        }
    }
}

/// Recovers the data key with any of `identities` (tried against each entry in file order).
pub fn unwrap_key(meta: &Metadata, identities: &Identities, tried: &[String]) -> Result<DataKey> {
    let mut reasons = Vec::new();
    if !meta.key_groups.is_empty() {
        let groups = &meta.key_groups;
        let t = meta.shamir_threshold.unwrap_or(groups.len()).max(1);
        let mut shares = Vec::new();
        for g in groups {
            if let Some(share) = g.iter().find_map(|e| unwrap_entry(e, identities, &mut reasons)) {
                shares.push(share);
            }
            if shares.len() >= t {
                break;
            }
        }
        if groups.len() == 1 {
            if let Some(s) = shares.first().filter(|s| s.len() == 32) {
                let mut k = Zeroizing::new([0u8; 32]);
                k.copy_from_slice(s);
                return Ok(DataKey(k));
            }
        } else if shares.len() >= t {
            return shamir_combine(&shares[..t]);
        } else {
            reasons.push(format!(
                "only {} of the {} key groups could be opened; this file needs {t} (shamir_threshold)",
                shares.len(),
                groups.len()
            ));
        }
    } else {
        for entry in &meta.age {
            if let Some(buf) = unwrap_entry(entry, identities, &mut reasons) {
                if buf.len() != 32 {
                    reasons.push(format!("{}: the data key copy is damaged", entry.recipient));
                    continue;
                }
                let mut k = Zeroizing::new([0u8; 32]);
                k.copy_from_slice(&buf);
                return Ok(DataKey(k));
            }
        }
    }
    let mut msg = String::from("cannot decrypt the data key: no identity fits any recipient of the file\n");
    for r in &reasons {
        msg.push_str(&format!("  - {r}\n"));
    }
    if tried.is_empty() {
        msg.push_str("  no identities were found");
    } else {
        msg.push_str("  identities tried: ");
        msg.push_str(&tried.join(", "));
    }
    msg.push_str("\n  fix: set SOPS_AGE_KEY_FILE to an identity file of one of the recipients (see `n3x-secrets decrypt --help`)");
    Err(SopsError::NoKey(msg))
}

// ---------------------------------------------------------------------------
// Parsing and writing whole files

/// Parses plaintext into documents. A top-level `sops` key means "already encrypted".
pub fn parse_plain(text: &str, format: Format) -> Result<Vec<Node>> {
    let docs = match format {
        Format::Yaml => tree::parse_yaml(text).map_err(|e| SopsError::Parse(e.to_string()))?,
        Format::Json => vec![tree::parse_json(text).map_err(|e| SopsError::Parse(e.to_string()))?],
        Format::Dotenv => vec![crate::dotenv::parse(text).map_err(|e| SopsError::Parse(e.to_string()))?],
        Format::Binary => vec![Node::Map(vec![MapItem::Pair("data".into(), Node::str(text))])],
    };
    Ok(docs)
}

fn meta_str(m: &Node, key: &str) -> Result<Option<String>> {
    match m.get(key) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(Node::Scalar(Scalar::Str(s))) => Ok(Some(s.clone())),
        Some(Node::Scalar(Scalar::Time(t))) => Ok(Some(t.rfc3339_nano())),
        Some(_) => Err(SopsError::Metadata(format!("sops.{key} must be a string"))),
    }
}

fn parse_meta(m: &Node) -> Result<Metadata> {
    if !matches!(m, Node::Map(_)) {
        return Err(SopsError::Metadata("the sops metadata must be a map".into()));
    }
    let age_list = |list: &Node, at: &str| -> Result<Vec<AgeEntry>> {
        let Node::Seq(items) = list else {
            return Err(SopsError::Metadata(format!("{at} must be a list")));
        };
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let recipient = meta_str(it, "recipient")?.unwrap_or_default();
            let enc = meta_str(it, "enc")?
                .ok_or_else(|| SopsError::Metadata(format!("{at}[{i}] has no enc (the wrapped data key)")))?;
            out.push(AgeEntry { recipient, enc });
        }
        Ok(out)
    };
    let foreign = |n: &Node| {
        ["pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"]
            .into_iter()
            .filter(|k| matches!(n.get(k), Some(Node::Seq(s)) if !s.is_empty()))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let age_entries = match m.get("age") {
        Some(list) => age_list(list, "sops.age")?,
        None => Vec::new(),
    };
    let mut key_groups = Vec::new();
    let mut shamir_threshold = None;
    if age_entries.is_empty() {
        if let Some(Node::Seq(groups)) = m.get("key_groups") {
            for (i, g) in groups.iter().enumerate() {
                let at = format!("sops.key_groups[{i}]");
                let other = foreign(g);
                if !other.is_empty() {
                    return Err(SopsError::Metadata(format!(
                        "{at} holds {} keys; n3x-secrets reads age keys only: decrypt it with sops",
                        other.join(", ")
                    )));
                }
                key_groups.push(match g.get("age") {
                    Some(list) => age_list(list, &format!("{at}.age"))?,
                    None => Vec::new(),
                });
            }
            shamir_threshold = match m.get("shamir_threshold") {
                Some(Node::Scalar(Scalar::Int(n))) if *n >= 1 => usize::try_from(*n).ok(),
                Some(Node::Scalar(Scalar::Float(f))) if *f >= 1.0 && f.fract() == 0.0 => Some(*f as usize),
                None => None,
                Some(_) => return Err(SopsError::Metadata("sops.shamir_threshold must be a positive integer".into())),
            };
        }
    }
    if age_entries.is_empty() && key_groups.iter().all(Vec::is_empty) {
        let other = foreign(m);
        return Err(SopsError::Metadata(if other.is_empty() {
            "the sops metadata has no keys (sops.age is empty): the data key cannot be recovered".into()
        } else {
            format!(
                "the file's data key is held only by {} keys (n3x-secrets reads age keys); decrypt it with sops",
                other.join(", ")
            )
        }));
    }
    let lastmodified = meta_str(m, "lastmodified")?
        .ok_or_else(|| SopsError::Metadata("the sops metadata has no lastmodified; the file is damaged".into()))?;
    mac_aad(&lastmodified)?;
    let mac = meta_str(m, "mac")?.unwrap_or_default();
    let mut rules = Vec::new();
    for f in RULE_FIELDS {
        if let Some(v) = meta_str(m, f)? {
            rules.push((*f, v));
        }
    }
    if rules.len() > 1 {
        return Err(SopsError::Metadata(format!(
            "the sops metadata sets {} crypt rules ({}); at most one is allowed",
            rules.len(),
            rules.iter().map(|r| r.0).collect::<Vec<_>>().join(", ")
        )));
    }
    let rule = match rules.pop() {
        None => CryptRule::default(),
        Some((f, v)) => CryptRule::from_field(f, v).ok_or_else(|| {
            SopsError::Metadata(format!("sops.{f} (comment-based crypt rules) is not supported by n3x-secrets"))
        })?,
    };
    let mac_only_encrypted = match m.get("mac_only_encrypted") {
        None | Some(Node::Scalar(Scalar::Null)) => false,
        Some(Node::Scalar(Scalar::Bool(b))) => *b,
        Some(_) => return Err(SopsError::Metadata("sops.mac_only_encrypted must be true or false".into())),
    };
    let version = match m.get("version") {
        Some(Node::Scalar(Scalar::Str(s))) => s.clone(),
        Some(Node::Scalar(Scalar::Float(_) | Scalar::Int(_))) => {
            return Err(SopsError::Metadata(
                "sops.version is a number: this is a sops 1.x file, which is not supported".into(),
            ))
        }
        _ => return Err(SopsError::Metadata("sops.version is missing (sops: \"Version string empty\")".into())),
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return Err(SopsError::Metadata(format!("sops.version {version:?} is not MAJOR.MINOR.PATCH")));
    }
    Ok(Metadata {
        age: age_entries,
        key_groups,
        shamir_threshold,
        lastmodified,
        mac,
        rule,
        mac_only_encrypted,
        version,
    })
}

fn take_sops(doc: &mut Node) -> Option<Node> {
    let Node::Map(items) = doc else { return None };
    let pos = items.iter().position(|i| matches!(i, MapItem::Pair(k, _) if k == "sops"))?;
    match items.remove(pos) {
        MapItem::Pair(_, v) => Some(v),
        MapItem::Comment(_) => None,
    }
}

/// Parses an encrypted file: the documents and the metadata of the first one.
pub fn parse_encrypted(text: &str, format: Format) -> Result<SopsFile> {
    if format == Format::Dotenv {
        let doc = parse_plain(text, format)?.into_iter().next().unwrap_or(Node::Map(Vec::new()));
        let (data, meta) = crate::dotenv::split_meta(doc).map_err(SopsError::Metadata)?;
        let meta = meta.ok_or_else(|| {
            SopsError::Metadata("the file is not encrypted with sops: it has no sops_… metadata lines".into())
        })?;
        return Ok(SopsFile { format, docs: vec![data], meta: parse_meta(&meta)? });
    }
    let mut docs = match format {
        Format::Binary => vec![tree::parse_json(text).map_err(|e| SopsError::Parse(e.to_string()))?],
        _ => parse_plain(text, format)?,
    };
    let mut meta_node = None;
    for (i, d) in docs.iter_mut().enumerate() {
        let m = take_sops(d);
        if i == 0 {
            meta_node = m;
        }
    }
    let meta_node = meta_node.ok_or_else(|| {
        SopsError::Metadata("the file is not encrypted with sops: it has no top-level `sops` metadata key".into())
    })?;
    let meta = parse_meta(&meta_node)?;
    Ok(SopsFile { format, docs, meta })
}

fn meta_node(meta: &Metadata) -> Node {
    let entries = |list: &[AgeEntry]| {
        Node::Seq(
            list.iter()
                .map(|e| {
                    Node::Map(vec![
                        MapItem::Pair("recipient".into(), Node::str(&e.recipient)),
                        MapItem::Pair("enc".into(), Node::str(&e.enc)),
                    ])
                })
                .collect(),
        )
    };
    let mut items = Vec::new();
    if meta.key_groups.is_empty() {
        items.push(MapItem::Pair("age".into(), entries(&meta.age)));
    } else {
        if let Some(t) = meta.shamir_threshold {
            items.insert(0, MapItem::Pair("shamir_threshold".into(), Node::Scalar(Scalar::Int(t as i64))));
        }
        let groups = meta
            .key_groups
            .iter()
            .map(|g| {
                Node::Map(vec![
                    MapItem::Pair("hc_vault".into(), Node::Seq(Vec::new())),
                    MapItem::Pair("age".into(), entries(g)),
                ])
            })
            .collect();
        items.push(MapItem::Pair("key_groups".into(), Node::Seq(groups)));
    }
    items.push(MapItem::Pair("lastmodified".into(), Node::str(&meta.lastmodified)));
    items.push(MapItem::Pair("mac".into(), Node::str(&meta.mac)));
    items.push(MapItem::Pair(meta.rule.field().into(), Node::str(meta.rule.value())));
    if meta.mac_only_encrypted {
        items.push(MapItem::Pair("mac_only_encrypted".into(), Node::Scalar(Scalar::Bool(true))));
    }
    items.push(MapItem::Pair("version".into(), Node::str(&meta.version)));
    Node::Map(items)
}

/// Options for YAML/JSON output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Emit {
    /// JSON indentation: `None` = tab (sops' default), `Some(n)` = n spaces.
    pub json_indent: Option<usize>,
}

/// Writes an encrypted file: the documents with the metadata appended to each.
pub fn render_encrypted(file: &SopsFile, opts: Emit) -> String {
    let m = meta_node(&file.meta);
    if file.format == Format::Binary {
        // sops writes no crypt rule for binary files: their one value is always encrypted.
        let mut m = m;
        if let Node::Map(items) = &mut m {
            items.retain(|i| !matches!(i, MapItem::Pair(k, _) if k == file.meta.rule.field()));
        }
        let mut doc = file.docs.first().cloned().unwrap_or(Node::Map(Vec::new()));
        if let Node::Map(items) = &mut doc {
            items.push(MapItem::Pair("sops".into(), m));
        }
        return tree::emit_json(&doc, opts.json_indent);
    }
    if file.format == Format::Dotenv {
        let mut doc = file.docs.first().cloned().unwrap_or(Node::Map(Vec::new()));
        if let Node::Map(items) = &mut doc {
            for (k, v) in crate::dotenv::flatten_meta(&m) {
                items.push(MapItem::Pair(k, Node::str(v)));
            }
        }
        return render_plain(&[doc], file.format, opts);
    }
    let docs: Vec<Node> = file
        .docs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if let Node::Map(items) = &mut d {
                items.push(MapItem::Pair("sops".into(), m.clone()));
            }
            d
        })
        .collect();
    render_plain(&docs, file.format, opts)
}

/// Writes plaintext documents in the file's format, as `sops -d` prints them.
pub fn render_plain(docs: &[Node], format: Format, opts: Emit) -> String {
    match format {
        Format::Yaml => tree::emit_yaml(docs),
        Format::Json => docs.first().map(|d| tree::emit_json(d, opts.json_indent)).unwrap_or_default(),
        // Values are always scalars here: the parser only makes strings, and `set`
        // refuses nested values for dotenv files.
        Format::Dotenv => docs.first().and_then(|d| crate::dotenv::emit(d).ok()).unwrap_or_default(),
        Format::Binary => {
            docs.first().and_then(|d| d.get("data")).and_then(Node::as_str).unwrap_or_default().to_string()
        }
    }
}

// ---------------------------------------------------------------------------
// Operations

/// What `encrypt` needs besides the documents.
#[derive(Debug, Clone, Default)]
pub struct EncryptOptions {
    /// age recipients (`age1…`), each gets its own copy of the data key.
    pub recipients: Vec<String>,
    /// Two or more key groups instead: the key is split with Shamir, one share per group.
    pub key_groups: Vec<Vec<String>>,
    /// Shares needed (default: all groups).
    pub shamir_threshold: Option<usize>,
    /// The crypt rule.
    pub rule: CryptRule,
    /// Hash only encrypted values into the MAC.
    pub mac_only_encrypted: bool,
}

/// Encrypts plaintext documents into a sops file (fresh data key, fresh IVs).
pub fn encrypt(
    docs: Vec<Node>,
    format: Format,
    opts: &EncryptOptions,
    rng: &mut dyn Rng,
    clock: &dyn Clock,
) -> Result<SopsFile> {
    let dotenv_meta = |d: &Node| match d {
        Node::Map(items) => items.iter().any(|i| matches!(i, MapItem::Pair(k, _) if k.starts_with("sops_"))),
        _ => false,
    };
    if docs.iter().any(|d| d.get("sops").is_some() || (format == Format::Dotenv && dotenv_meta(d))) {
        return Err(SopsError::Other(
            "the file already has a top-level `sops` key: it is already encrypted (use `decrypt`, `edit` or `rotate`)"
                .into(),
        ));
    }
    let groups = if opts.key_groups.len() >= 2 { opts.key_groups.clone() } else { vec![opts.recipients.clone()] };
    if groups.iter().all(Vec::is_empty) {
        return Err(SopsError::Other(
            "no recipients: give --age age1…, or a .sops.yaml creation rule with age keys for this file".into(),
        ));
    }
    let key = DataKey::generate(rng)?;
    let (age, key_groups, shamir_threshold) = wrap_groups(&key, &groups, opts.shamir_threshold, rng)?;
    // A binary file's single value is always encrypted (sops ignores crypt rules there).
    let rule = if format == Format::Binary { CryptRule::default() } else { opts.rule.clone() };
    let meta = Metadata {
        age,
        key_groups,
        shamir_threshold,
        lastmodified: String::new(),
        mac: String::new(),
        rule,
        mac_only_encrypted: opts.mac_only_encrypted && format != Format::Binary,
        version: SOPS_VERSION.into(),
    };
    seal(docs, format, meta, &key, rng, clock, None)
}

/// Encrypts plaintext `docs` with `key`, computes the MAC with a new
/// `lastmodified`, and returns the file (metadata keys as given).
fn seal(
    mut docs: Vec<Node>,
    format: Format,
    mut meta: Metadata,
    key: &DataKey,
    rng: &mut dyn Rng,
    clock: &dyn Clock,
    ivs: Option<&IvCache>,
) -> Result<SopsFile> {
    let mut w = Walk {
        key,
        matcher: meta.rule.compile()?,
        mac_only: meta.mac_only_encrypted,
        hash: mac_hash_start(meta.mac_only_encrypted),
        rng: Some(rng),
        ivs,
        seen_ivs: None,
        warnings: Vec::new(),
    };
    for d in docs.iter_mut() {
        w.encrypt_node(d, &mut Vec::new())?;
    }
    let digest = hex_upper(&w.hash.finalize_reset());
    let now = Timestamp::utc(clock.now());
    meta.lastmodified = now.rfc3339();
    let mut iv = vec![0u8; 32];
    match w.rng.as_deref_mut() {
        Some(r) => r.fill(&mut iv).map_err(SopsError::Other)?,
        None => return Err(SopsError::Other("no random generator".into())),
    }
    meta.mac = encrypt_bytes(key, &iv, digest.as_bytes(), &meta.lastmodified, "str")?;
    Ok(SopsFile { format, docs, meta })
}

/// The result of decrypting a file.
#[derive(Debug)]
pub struct Decrypted {
    /// The plaintext documents.
    pub docs: Vec<Node>,
    /// The data key.
    pub key: DataKey,
    /// IVs of the decrypted values (for byte-stable re-encryption).
    pub ivs: IvCache,
    /// Non-fatal findings (comments that did not decrypt).
    pub warnings: Vec<String>,
}

/// Decrypts every value and verifies the MAC (unless `ignore_mac`).
pub fn decrypt(file: &SopsFile, identities: &Identities, tried: &[String], ignore_mac: bool) -> Result<Decrypted> {
    let key = unwrap_key(&file.meta, identities, tried)?;
    decrypt_with_key(file, key, ignore_mac)
}

/// Decrypts with a known data key.
pub fn decrypt_with_key(file: &SopsFile, key: DataKey, ignore_mac: bool) -> Result<Decrypted> {
    let mut docs = file.docs.clone();
    let mut ivs = IvCache::default();
    let mut w = Walk {
        key: &key,
        matcher: file.meta.rule.compile()?,
        mac_only: file.meta.mac_only_encrypted,
        hash: mac_hash_start(file.meta.mac_only_encrypted),
        rng: None,
        ivs: None,
        seen_ivs: Some(&mut ivs),
        warnings: Vec::new(),
    };
    for d in docs.iter_mut() {
        w.decrypt_node(d, &mut Vec::new())?;
    }
    let digest = hex_upper(&w.hash.finalize_reset());
    let warnings = std::mem::take(&mut w.warnings);
    drop(w);
    if !ignore_mac {
        if file.meta.mac.is_empty() {
            return Err(SopsError::Mac("the file has no MAC (sops.mac is empty): it cannot be verified; use --ignore-mac only to recover a file you trust".into()));
        }
        let a = mac_aad(&file.meta.lastmodified)?;
        let (stored, _, _) = decrypt_raw(&key, &file.meta.mac, &a, "sops.mac").map_err(|_| {
            SopsError::Mac(
                "MAC mismatch: the MAC does not decrypt (sops.mac or sops.lastmodified was changed); \
                 the file was tampered with or damaged. Use --ignore-mac only to recover a file you trust"
                    .into(),
            )
        })?;
        if stored.as_slice() != digest.as_bytes() {
            return Err(SopsError::Mac(
                "MAC mismatch: the values do not match the file's MAC (a value was changed, added, removed or \
                 reordered); the file was tampered with or damaged. Use --ignore-mac only to recover a file you trust"
                    .into(),
            ));
        }
    }
    Ok(Decrypted { docs, key, ivs, warnings })
}

/// Re-encrypts edited plaintext with the file's data key and metadata, reusing the
/// IVs of unchanged values; new MAC and `lastmodified`.
pub fn reseal(
    file: &SopsFile,
    plain: Vec<Node>,
    dec: &Decrypted,
    rng: &mut dyn Rng,
    clock: &dyn Clock,
) -> Result<SopsFile> {
    if plain.iter().any(|d| d.get("sops").is_some()) {
        return Err(SopsError::Other("the edited document must not contain a top-level `sops` key".into()));
    }
    seal(plain, file.format, file.meta.clone(), &dec.key, rng, clock, Some(&dec.ivs))
}

/// `updatekeys`: the same data key, wrapped for new recipient groups (new Shamir
/// shares when there are two or more groups). Values, MAC and `lastmodified` are untouched.
pub fn update_keys(
    file: &SopsFile,
    key: &DataKey,
    groups: &[Vec<String>],
    threshold: Option<usize>,
    rng: &mut dyn Rng,
) -> Result<SopsFile> {
    let mut out = file.clone();
    let groups: Vec<Vec<String>> = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
    if groups.len() == 1 && file.meta.key_groups.is_empty() {
        // Keep the existing copies of recipients that stay (as sops does).
        let mut entries = Vec::new();
        for r in &groups[0] {
            match file.meta.age.iter().find(|e| &e.recipient == r) {
                Some(e) => entries.push(e.clone()),
                None => entries.push(AgeEntry { recipient: r.clone(), enc: wrap_key(key, r)? }),
            }
        }
        out.meta.age = entries;
        return Ok(out);
    }
    let t = threshold.or(file.meta.shamir_threshold);
    let (age, key_groups, shamir_threshold) = wrap_groups(key, &groups, t, rng)?;
    out.meta.age = age;
    out.meta.key_groups = key_groups;
    out.meta.shamir_threshold = shamir_threshold;
    Ok(out)
}

/// `rotate`: decrypt (MAC verified), new data key, re-encrypt every value (old IVs
/// reused, as sops does), new MAC, data key wrapped for `groups`.
pub fn rotate(
    file: &SopsFile,
    dec: &Decrypted,
    groups: &[Vec<String>],
    rng: &mut dyn Rng,
    clock: &dyn Clock,
) -> Result<SopsFile> {
    let key = DataKey::generate(rng)?;
    let mut meta = file.meta.clone();
    let (age, key_groups, shamir_threshold) = wrap_groups(&key, groups, file.meta.shamir_threshold, rng)?;
    meta.age = age;
    meta.key_groups = key_groups;
    meta.shamir_threshold = shamir_threshold;
    seal(dec.docs.clone(), file.format, meta, &key, rng, clock, Some(&dec.ivs))
}

// ---------------------------------------------------------------------------
// Paths for --extract / set / unset

/// One step of a `["a"][0]` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Parses a sops tree path such as `["a"]["b"][0]`.
pub fn parse_path(s: &str) -> std::result::Result<Vec<Step>, String> {
    let bad = |why: &str| format!("invalid path {s:?}: {why}; expected e.g. '[\"k3s\"][\"token\"]' or '[\"list\"][0]'");
    let c: Vec<char> = s.trim().chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        if c[i] != '[' {
            return Err(bad("each step must start with ["));
        }
        i += 1;
        match c.get(i) {
            Some(&q @ ('"' | '\'')) => {
                i += 1;
                let mut key = String::new();
                loop {
                    match c.get(i) {
                        None => return Err(bad("unterminated quoted key")),
                        Some('\\') => {
                            if let Some(n) = c.get(i + 1) {
                                key.push(*n);
                            }
                            i += 2;
                        }
                        Some(&ch) if ch == q => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            key.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Step::Key(key));
            }
            Some(d) if d.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(d) = c.get(i).filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    i += 1;
                }
                out.push(Step::Index(n.parse().map_err(|_| bad("index too large"))?));
            }
            _ => return Err(bad("a step must be a quoted key or a list index")),
        }
        if c.get(i) != Some(&']') {
            return Err(bad("missing ]"));
        }
        i += 1;
    }
    if out.is_empty() {
        return Err(bad("empty path"));
    }
    Ok(out)
}

fn show_steps(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => format!("[{k:?}]"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect()
}

fn seq_values(items: &[Node]) -> Vec<usize> {
    items.iter().enumerate().filter(|(_, n)| !matches!(n, Node::Comment(_))).map(|(i, _)| i).collect()
}

/// The node at `steps`.
pub fn lookup<'a>(doc: &'a Node, steps: &[Step]) -> std::result::Result<&'a Node, String> {
    let mut cur = doc;
    for (n, step) in steps.iter().enumerate() {
        let here = show_steps(&steps[..=n]);
        cur = match (cur, step) {
            (Node::Map(_), Step::Key(k)) => cur.get(k).ok_or_else(|| format!("{here}: no such key"))?,
            (Node::Seq(items), Step::Index(i)) => {
                let idx = seq_values(items);
                idx.get(*i)
                    .and_then(|j| items.get(*j))
                    .ok_or_else(|| format!("{here}: index out of range (the list has {} items)", idx.len()))?
            }
            (Node::Map(_), Step::Index(_)) => return Err(format!("{here}: this is a map; use a quoted key")),
            (Node::Seq(_), Step::Key(_)) => return Err(format!("{here}: this is a list; use an index")),
            _ => return Err(format!("{here}: a scalar has no children")),
        };
    }
    Ok(cur)
}

/// Sets the value at `steps`, creating missing map keys (as `sops set` does).
pub fn set_path(doc: &mut Node, steps: &[Step], value: Node) -> std::result::Result<(), String> {
    let Some((last, parents)) = steps.split_last() else {
        return Err("empty path".into());
    };
    let mut cur = doc;
    for (n, step) in parents.iter().enumerate() {
        let here = show_steps(&steps[..=n]);
        cur = match (cur, step) {
            (Node::Map(items), Step::Key(k)) => {
                let pos = items.iter().position(|i| matches!(i, MapItem::Pair(kk, _) if kk == k));
                let pos = match pos {
                    Some(p) => p,
                    None => {
                        items.push(MapItem::Pair(k.clone(), Node::Map(Vec::new())));
                        items.len() - 1
                    }
                };
                match items.get_mut(pos) {
                    Some(MapItem::Pair(_, v)) => v,
                    _ => return Err(format!("{here}: not found")),
                }
            }
            (Node::Seq(items), Step::Index(i)) => {
                let idx = seq_values(items);
                let j = *idx
                    .get(*i)
                    .ok_or_else(|| format!("{here}: index out of range (the list has {} items)", idx.len()))?;
                items.get_mut(j).ok_or_else(|| format!("{here}: index out of range"))?
            }
            (Node::Map(_), Step::Index(_)) => return Err(format!("{here}: this is a map; use a quoted key")),
            (Node::Seq(_), Step::Key(_)) => return Err(format!("{here}: this is a list; use an index")),
            _ => return Err(format!("{here}: a scalar has no children")),
        };
    }
    let here = show_steps(steps);
    match (cur, last) {
        (Node::Map(items), Step::Key(k)) => {
            match items.iter_mut().find_map(|i| match i {
                MapItem::Pair(kk, v) if kk == k => Some(v),
                _ => None,
            }) {
                Some(v) => *v = value,
                None => items.push(MapItem::Pair(k.clone(), value)),
            }
            Ok(())
        }
        (Node::Seq(items), Step::Index(i)) => {
            let idx = seq_values(items);
            if let Some(j) = idx.get(*i) {
                if let Some(slot) = items.get_mut(*j) {
                    *slot = value;
                }
                Ok(())
            } else if *i == idx.len() {
                items.push(value);
                Ok(())
            } else {
                Err(format!("{here}: index out of range (the list has {} items)", idx.len()))
            }
        }
        (Node::Map(_), Step::Index(_)) => Err(format!("{here}: this is a map; use a quoted key")),
        (Node::Seq(_), Step::Key(_)) => Err(format!("{here}: this is a list; use an index")),
        _ => Err(format!("{here}: a scalar has no children")),
    }
}

/// Removes the value at `steps`; an error when it does not exist.
pub fn unset_path(doc: &mut Node, steps: &[Step]) -> std::result::Result<(), String> {
    let Some((last, parents)) = steps.split_last() else {
        return Err("empty path".into());
    };
    let here = show_steps(steps);
    let parent = lookup_mut(doc, parents)?;
    match (parent, last) {
        (Node::Map(items), Step::Key(k)) => {
            let pos = items
                .iter()
                .position(|i| matches!(i, MapItem::Pair(kk, _) if kk == k))
                .ok_or_else(|| format!("{here}: no such key"))?;
            items.remove(pos);
            Ok(())
        }
        (Node::Seq(items), Step::Index(i)) => {
            let idx = seq_values(items);
            let j =
                *idx.get(*i).ok_or_else(|| format!("{here}: index out of range (the list has {} items)", idx.len()))?;
            items.remove(j);
            Ok(())
        }
        _ => Err(format!("{here}: the parent is not a map or list of that kind")),
    }
}

fn lookup_mut<'a>(doc: &'a mut Node, steps: &[Step]) -> std::result::Result<&'a mut Node, String> {
    let mut cur = doc;
    for (n, step) in steps.iter().enumerate() {
        let here = show_steps(&steps[..=n]);
        cur = match (cur, step) {
            (Node::Map(items), Step::Key(k)) => items
                .iter_mut()
                .find_map(|i| match i {
                    MapItem::Pair(kk, v) if kk == k => Some(v),
                    _ => None,
                })
                .ok_or_else(|| format!("{here}: no such key"))?,
            (Node::Seq(items), Step::Index(i)) => {
                let idx = seq_values(items);
                let j = *idx.get(*i).ok_or_else(|| format!("{here}: index out of range"))?;
                items.get_mut(j).ok_or_else(|| format!("{here}: index out of range"))?
            }
            _ => return Err(format!("{here}: no such path")),
        };
    }
    Ok(cur)
}

/// `--extract` output: a scalar as raw text (a string without newline, as sops),
/// a subtree in the file's format.
pub fn render_extract(node: &Node, format: Format, opts: Emit) -> String {
    match node {
        Node::Scalar(Scalar::Str(s)) => s.clone(),
        Node::Scalar(s) => match format {
            Format::Yaml => {
                let mut t = tree::emit_yaml(&[Node::Map(vec![MapItem::Pair("v".into(), Node::Scalar(s.clone()))])]);
                t = t.trim_start_matches("v: ").to_string();
                t
            }
            Format::Json => {
                let mut t = tree::emit_json(node, opts.json_indent);
                t.pop();
                t
            }
            Format::Dotenv | Format::Binary => {
                crate::dotenv::emit(&Node::Map(vec![MapItem::Pair("v".into(), node.clone())]))
                    .unwrap_or_default()
                    .trim_start_matches("v=")
                    .trim_end()
                    .to_string()
            }
        },
        Node::Map(_) => render_plain(std::slice::from_ref(node), format, opts),
        Node::Seq(_) => match format {
            Format::Json => tree::emit_json(node, opts.json_indent).trim_end().to_string(),
            Format::Yaml | Format::Dotenv | Format::Binary => tree::emit_yaml(std::slice::from_ref(node)),
        },
        Node::Comment(c) => c.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::{FixedClock, TestRng};

    fn identity() -> age::x25519::Identity {
        crate::identity::identity_from_bytes(&[9u8; 32]).unwrap()
    }

    fn ids() -> Vec<Box<dyn age::Identity>> {
        vec![Box::new(identity())]
    }

    fn enc(src: &str, opts: EncryptOptions) -> SopsFile {
        let docs = parse_plain(src, Format::Yaml).unwrap();
        encrypt(docs, Format::Yaml, &opts, &mut TestRng::new(1), &FixedClock(1_700_000_000)).unwrap()
    }

    fn opts() -> EncryptOptions {
        EncryptOptions { recipients: vec![identity().to_public().to_string()], ..Default::default() }
    }

    #[test]
    fn roundtrip_types_and_rules() {
        let src = "# c\na: hunter2\nport: 5432\nf: 1.5\nb: true\nt: 2024-01-02\ne: \"\"\nn: null\nport_unencrypted: 80\nl:\n    - x\n    # lc\n    - y\n";
        let f = enc(src, opts());
        let text = render_encrypted(&f, Emit::default());
        assert!(text.contains("port_unencrypted: 80\n"));
        assert!(text.contains("type:int]"));
        assert!(text.contains("e: \"\"\n"));
        assert!(text.contains("    - ENC[") && text.contains("type:comment]"));
        assert!(text.contains("lastmodified: \"2023-11-14T22:13:20Z\""));
        let back = parse_encrypted(&text, Format::Yaml).unwrap();
        let d = decrypt(&back, &ids(), &[], false).unwrap();
        let want = src
            .replace("n: null", "\"n\": null")
            .replace("2024-01-02", "2024-01-02T00:00:00Z")
            .replace("- y", "- \"y\"");
        assert_eq!(render_plain(&d.docs, Format::Yaml, Emit::default()), want);
    }

    #[test]
    fn tamper_is_refused() {
        let f = enc("a: x\nb: y\n", opts());
        let text = render_encrypted(&f, Emit::default());
        // Swap the two values: GCM (AAD) catches it.
        let lines: Vec<&str> = text.lines().collect();
        let (a, b) = (lines[0].replacen("a: ", "", 1), lines[1].replacen("b: ", "", 1));
        let swapped = text.replacen(lines[0], &format!("a: {b}"), 1).replacen(lines[1], &format!("b: {a}"), 1);
        let e = decrypt(&parse_encrypted(&swapped, Format::Yaml).unwrap(), &ids(), &[], false).unwrap_err();
        assert!(matches!(e, SopsError::Value(_)), "{e}");
        // Remove a key: the MAC catches it.
        let removed = text.replacen(&format!("{}\n", lines[1]), "", 1);
        let e = decrypt(&parse_encrypted(&removed, Format::Yaml).unwrap(), &ids(), &[], false).unwrap_err();
        assert!(matches!(e, SopsError::Mac(_)), "{e}");
        assert!(decrypt(&parse_encrypted(&removed, Format::Yaml).unwrap(), &ids(), &[], true).is_ok());
        // Changed lastmodified.
        let moved = text.replace("2023-11-14T22:13:20Z", "2023-11-14T22:13:21Z");
        let e = decrypt(&parse_encrypted(&moved, Format::Yaml).unwrap(), &ids(), &[], false).unwrap_err();
        assert!(e.to_string().contains("MAC"), "{e}");
        // Wrong identity.
        let other = crate::identity::identity_from_bytes(&[7u8; 32]).unwrap();
        let e = decrypt(
            &parse_encrypted(&text, Format::Yaml).unwrap(),
            &[Box::new(other) as Box<dyn age::Identity>],
            &["x".into()],
            false,
        )
        .unwrap_err();
        assert!(matches!(e, SopsError::NoKey(_)));
    }

    #[test]
    fn shamir_roundtrip_any_threshold_subset() {
        let mut rng = TestRng::new(11);
        let key = DataKey::generate(&mut rng).unwrap();
        let shares = shamir_split(&key, 3, 2, &mut rng).unwrap();
        for pair in [[0, 1], [0, 2], [1, 2]] {
            let sub: Vec<_> = pair.iter().map(|i| shares[*i].clone()).collect();
            assert_eq!(shamir_combine(&sub).unwrap().bytes(), key.bytes());
        }
        assert_ne!(shamir_combine(&shares[..1]).unwrap().bytes(), key.bytes());
        for a in 1..=255u8 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1);
        }
    }

    #[test]
    fn enc_syntax_like_sops_regex() {
        assert_eq!(
            split_enc("ENC[AES256_GCM,data:AA==,iv:BB==,tag:CC==,type:str]"),
            Some(("AA==", "BB==", "CC==", "str"))
        );
        assert_eq!(split_enc("ENC[AES256_GCM,data:A,iv:B,tag:C,type:str]trailing"), Some(("A", "B", "C", "str")));
        assert!(split_enc("ENC[AES256_GCM,data:,iv:B,tag:C,type:str]").is_none());
        assert!(split_enc("ENC[AES256_GCM,data:A,iv:B,type:str]").is_none());
        assert!(split_enc("plain").is_none());
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("[\"a\"][0]['b']").unwrap(),
            vec![Step::Key("a".into()), Step::Index(0), Step::Key("b".into())]
        );
        assert!(parse_path("a.b").is_err());
        assert!(parse_path("[\"a\"").is_err());
        let mut doc = parse_plain("a:\n    b: 1\nl: [1, 2]\n", Format::Yaml).unwrap().remove(0);
        set_path(&mut doc, &parse_path("[\"a\"][\"c\"]").unwrap(), Node::str("x")).unwrap();
        set_path(&mut doc, &parse_path("[\"n\"][\"m\"]").unwrap(), Node::str("y")).unwrap();
        assert!(set_path(&mut doc, &parse_path("[\"l\"][5]").unwrap(), Node::str("y")).is_err());
        unset_path(&mut doc, &parse_path("[\"a\"][\"b\"]").unwrap()).unwrap();
        assert!(unset_path(&mut doc, &parse_path("[\"zz\"]").unwrap()).unwrap_err().contains("no such key"));
        assert_eq!(tree::emit_yaml(&[doc]), "a:\n    c: x\nl:\n    - 1\n    - 2\n\"n\":\n    m: \"y\"\n");
    }
}
