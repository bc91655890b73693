//! File and stream I/O with the conventions every n3x binary keeps: `-` or no path is
//! standard input, an existing output file is replaced atomically (temporary file in the
//! same folder, then rename), and a set of output files is rendered completely before the
//! first one is written. Writers say how durable a file must be ([`Durability`]):
//! only what cannot be regenerated is fsynced; file modes go through the umask.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::Error;
use crate::source::Document;

/// Human text for an I/O error, without Rust's debug noise.
pub fn describe_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        AlreadyExists => "it already exists".into(),
        IsADirectory => "it is a directory".into(),
        InvalidData => "it is not UTF-8 text".into(),
        _ => {
            // Strip " (os error N)" so messages stay stable and readable.
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// The display name of an input path (`<stdin>` for `-` or none).
pub fn input_name(path: Option<&Path>) -> String {
    match path {
        None => "<stdin>".into(),
        Some(p) if p.as_os_str() == "-" => "<stdin>".into(),
        Some(p) => p.display().to_string(),
    }
}

/// How the header of a generated file names its input. A relative path is kept as given
/// (`scripts/render` runs every tool inside the output folder, so its names are relative
/// to it already) and standard input is `<stdin>`. An absolute path never reaches a header
/// (two checkouts must render the same bytes): it is written relative to `out`, the
/// output folder (`--out DIR`, or the folder of `-o FILE`), when the input lies inside
/// that folder or inside the folder above it (`inventory.yaml`, `../inventory.yaml`),
/// and as its file name otherwise (and when the output is standard output).
pub fn header_input_name(input: Option<&Path>, out: Option<&Path>) -> String {
    let name = input_name(input);
    let Some(path) = input.filter(|p| p.is_absolute()) else { return name };
    let file_name = || path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| name.clone());
    let Some(out) = out else { return file_name() };
    let out = if out.is_absolute() {
        out.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(out),
            Err(_) => return file_name(),
        }
    };
    match relative_within_one_up(&lexical(path), &lexical(&out)) {
        Some(rel) => rel,
        None => file_name(),
    }
}

/// `path` with `.` dropped and `..` applied lexically (no file system access: the output
/// folder may not exist yet).
fn lexical(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts
}

/// `path` relative to `base` (both absolute, lexical) when it climbs at most one level.
fn relative_within_one_up(path: &[String], base: &[String]) -> Option<String> {
    let common = path.iter().zip(base).take_while(|(a, b)| a == b).count();
    let up = base.len() - common;
    if up > 1 || common == path.len() {
        return None;
    }
    let mut parts: Vec<&str> = vec![".."; up];
    parts.extend(path[common..].iter().map(String::as_str));
    Some(parts.join("/"))
}

/// The cap on one input when `N3X_MAX_INPUT_SIZE` is not set: 64 MiB, about a hundred
/// times the inventory of a 10,000-node fleet.
pub const DEFAULT_MAX_INPUT: u64 = 64 << 20;

/// The environment variable that raises (or lowers) the input cap, as a size such as
/// `256MiB`.
pub const MAX_INPUT_ENV: &str = "N3X_MAX_INPUT_SIZE";

/// The input cap in force: `N3X_MAX_INPUT_SIZE` when set, else [`DEFAULT_MAX_INPUT`].
pub fn max_input_size() -> Result<u64, Error> {
    match std::env::var(MAX_INPUT_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_INPUT),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::Usage(format!("{MAX_INPUT_ENV} must be a size such as 256MiB")))
        }
        Ok(v) => v
            .parse::<crate::units::ByteSize>()
            .map(|b| b.bytes())
            .map_err(|e| Error::Usage(format!("{MAX_INPUT_ENV}: {e}"))),
    }
}

/// Reads all of `reader` as UTF-8 text, refusing input longer than `limit` bytes: an
/// endless or huge stream (`yes | n3x-… check`, a hostile host's command output) ends
/// in a clear error instead of exhausting memory.
pub fn read_bounded(reader: impl Read, name: &str, limit: u64) -> Result<String, Error> {
    text_within(read_bytes_within(reader, name, limit)?, name, limit)
}

/// The text of a bounded read ([`read_within`]'s result), or the error for an input over
/// the cap or not UTF-8.
fn text_within(bytes: Option<Vec<u8>>, name: &str, limit: u64) -> Result<String, Error> {
    let Some(bytes) = bytes else {
        return Err(Error::Failed(format!(
            "cannot read {name}: it is larger than the input limit of {}; if the input is genuine, raise the limit with {MAX_INPUT_ENV}=SIZE",
            crate::units::ByteSize(limit)
        )));
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::Failed(format!("cannot read {name}: it is not UTF-8 text (invalid byte at offset {at})"))
    })
}

/// Reads all of `reader` as bytes, or `None` when it holds more than `limit` bytes
/// (reading stops one byte past the limit). For readers that judge an over-cap input
/// themselves, e.g. `n3x-secrets lint`, which reports it as a finding.
pub fn read_bytes_within(reader: impl Read, name: &str, limit: u64) -> Result<Option<Vec<u8>>, Error> {
    read_within(reader, name, limit, 0)
}

/// [`read_bytes_within`] for an open file: the buffer is sized from the file's length
/// up front, so a small file takes two `read` calls instead of one per doubling (lint
/// reads every file of a fleet render).
pub fn read_file_within(file: std::fs::File, name: &str, limit: u64) -> Result<Option<Vec<u8>>, Error> {
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    read_within(file, name, limit, hint)
}

fn read_within(reader: impl Read, name: &str, limit: u64, hint: u64) -> Result<Option<Vec<u8>>, Error> {
    // One byte past the length: the read that sees end-of-file needs room to happen.
    let capacity = usize::try_from(hint.min(limit).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Read { path: name.to_string(), source })?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Reads a whole input as text within the input cap: a file, or standard input for
/// `None`/`-`.
pub fn read_text(path: Option<&Path>) -> Result<(String, String), Error> {
    let name = input_name(path);
    let limit = max_input_size()?;
    let text = match path {
        Some(p) if p.as_os_str() != "-" => {
            if p.is_dir() {
                return Err(Error::Failed(format!("cannot read {name}: it is a directory; pass a file")));
            }
            let f = std::fs::File::open(p).map_err(|source| Error::Read { path: name.clone(), source })?;
            text_within(read_file_within(f, &name, limit)?, &name, limit)?
        }
        _ => read_bounded(std::io::stdin().lock(), &name, limit)?,
    };
    Ok((name, text))
}

/// Reads and parses a YAML or JSON document.
pub fn read_document(path: Option<&Path>) -> Result<Document, Error> {
    let (name, text) = read_text(path)?;
    if text.trim().is_empty() {
        return Err(Error::Failed(format!("{name} is empty; expected a YAML or JSON document")));
    }
    Document::parse(&name, &text).map_err(Error::Rejected)
}

/// How hard a write works to survive a crash or power loss. Replacing a file is atomic
/// (temporary file in the same folder, then rename), so a reader never sees half of the
/// new contents or loses the old; a regenerable file that does not exist yet is created
/// in place (a failed write removes it). Durability is about whether the new contents
/// are on the disk when the call returns. fsync costs milliseconds per file on real
/// disks, which dominated a fleet render (10,000 nodes: ~30 s of ~33 s), so only what
/// cannot be regenerated pays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Generated output that running the tool again reproduces (Nix, units, plans,
    /// manifests, `.sops.yaml`): atomic rename, no fsync. After a crash: render again.
    Regenerable,
    /// What cannot be regenerated: identities, host keys, tokens, in-place rewrites
    /// of secret files. The file is fsynced before the rename and its folder after it,
    /// so the new name and contents survive a power loss.
    Durable,
}

/// Default mode of a written file before the umask: `0666`, as the shell, `cp` and
/// every Unix tool create files, so a user's umask (e.g. `027`) decides.
pub const DEFAULT_MODE: u32 = 0o666;

/// Writes bytes to `path` atomically: a temporary file in the same folder is created
/// with `mode` (default [`DEFAULT_MODE`]; the process umask applies, as for any
/// `open(2)`), written, fsynced when `durability` asks, and renamed over `path`. A
/// [`Durability::Regenerable`] file that does not exist yet is created in place instead
/// (nothing old to protect; `scripts/render` writes every file into a fresh stage).
///
/// A [`Durability::Regenerable`] file whose current contents already equal `bytes`
/// (and whose permissions are no wider than `mode`) is left as it is: same inode, same
/// mtime. Replacing a file frees its old blocks, which is the slow part of a rewrite on
/// some file systems (a synchronous discard per replaced file on the build machine);
/// re-running a tool with the same input then writes nothing.
pub fn write_file(path: &Path, bytes: &[u8], mode: Option<u32>, durability: Durability) -> Result<(), Error> {
    write_file_in(path, bytes, mode, durability, Folder::Unknown)
}

/// What the caller knows about the folder of a file it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folder {
    /// Nothing: make sure it exists.
    Unknown,
    /// Created by this run: its files are new.
    Created,
    /// Was there before: its files were most likely written by an earlier run, so the
    /// comparison comes first (one `open` less per unchanged file).
    Existing,
}

/// [`write_file`], with what the caller knows about the folder.
fn write_file_in(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    durability: Durability,
    folder: Folder,
) -> Result<(), Error> {
    let wrap = |source: std::io::Error| Error::Write { path: path.display().to_string(), source };
    let dir = parent_dir(path);
    if folder == Folder::Unknown {
        std::fs::create_dir_all(&dir).map_err(wrap)?;
    }
    if durability == Durability::Regenerable {
        let mode = mode.unwrap_or(DEFAULT_MODE);
        if folder == Folder::Existing && unchanged(path, bytes, mode) {
            return Ok(());
        }
        match create_new(path, bytes, mode) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(wrap(e)),
        }
        if folder != Folder::Existing && unchanged(path, bytes, mode) {
            return Ok(());
        }
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".n3x-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Passed to open(2), so the umask applies; no chmod afterwards would undo it.
        builder.permissions(std::fs::Permissions::from_mode(mode.unwrap_or(DEFAULT_MODE)));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut tmp = builder.tempfile_in(&dir).map_err(wrap)?;
    tmp.write_all(bytes).map_err(wrap)?;
    if durability == Durability::Durable {
        tmp.as_file().sync_all().map_err(wrap)?;
    }
    tmp.persist(path).map_err(|e| wrap(e.error))?;
    if durability == Durability::Durable {
        sync_dir(&dir).map_err(wrap)?;
    }
    Ok(())
}

/// Writes a file that does not exist yet straight under its name (`O_CREAT|O_EXCL`, which
/// never follows a symlink): there are no old contents to protect, so the temporary file
/// and the rename are not needed, and they were a third of the kernel time of writing a
/// fleet render's thousands of new files. `Ok(false)` when something is already there
/// (the caller then replaces it atomically). A failed write removes the partial file.
fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<bool> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e),
    };
    if let Err(e) = file.write_all(bytes) {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(true)
}

/// The folder a file is written into (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// True when `path` is a regular file (not a symlink) holding exactly `bytes`, with no
/// permission bit that `mode` lacks: writing it again would change nothing a reader can
/// see (a file rewritten under another umask may end up with fewer bits, never more).
/// Any doubt (unreadable, another size, a symlink) means "write it".
fn unchanged(path: &Path, bytes: &[u8], mode: u32) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return false };
    if !meta.is_file() || meta.len() != bytes.len() as u64 {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o7777 & !mode != 0 {
            return false;
        }
    }
    #[cfg(not(unix))]
    let _ = mode;
    let Ok(f) = std::fs::File::open(path) else { return false };
    let mut have = Vec::with_capacity(bytes.len());
    // One byte more than expected, so a file that grew since the stat is seen as changed.
    match f.take(bytes.len() as u64 + 1).read_to_end(&mut have) {
        Ok(_) => have == bytes,
        Err(_) => false,
    }
}

/// Writes generated output without fsync, replacing an existing file atomically:
/// [`write_file`] with [`Durability::Regenerable`]. Use [`write_file`] with [`Durability::Durable`] for
/// anything that cannot be regenerated.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), Error> {
    write_file(path, bytes, mode, Durability::Regenerable)
}

/// fsyncs a folder, so that a rename or a new entry in it survives a power loss.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// One file of a rendered output set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output folder.
    pub path: PathBuf,
    /// Contents.
    pub contents: Vec<u8>,
    /// Unix mode (default 0644).
    pub mode: Option<u32>,
}

impl OutputFile {
    /// A text file with the default mode.
    pub fn text(path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        OutputFile { path: path.into(), contents: contents.into().into_bytes(), mode: None }
    }
}

/// Writes a fully rendered set of files under `dir` ([`write_file`] each). Callers
/// render everything first, so a rejected input writes nothing.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> Result<(), Error> {
    for f in files {
        if f.path.is_absolute() || f.path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(Error::Failed(format!("refusing to write outside {}: {}", dir.display(), f.path.display())));
        }
    }
    // Each folder is created once, not once per file: a fleet render writes tens of
    // thousands of files into a few thousand folders.
    let mut made: std::collections::HashMap<PathBuf, Folder> = std::collections::HashMap::new();
    for f in files {
        let path = dir.join(&f.path);
        let parent = parent_dir(&path);
        let folder = match made.get(&parent) {
            Some(folder) => *folder,
            None => {
                // A folder that is already there is only looked up: mkdir(2) locks the
                // parent folder even when it fails with EEXIST, and scripts/render's lanes
                // write into the same hosts/<node>/ folders at once.
                let folder = if std::fs::symlink_metadata(&parent).is_ok_and(|m| m.is_dir()) {
                    Folder::Existing
                } else {
                    std::fs::create_dir_all(&parent)
                        .map_err(|source| Error::Write { path: path.display().to_string(), source })?;
                    Folder::Created
                };
                made.insert(parent, folder);
                folder
            }
        };
        write_file_in(&path, &f.contents, f.mode, Durability::Regenerable, folder)?;
    }
    Ok(())
}

/// Writes to standard output. A closed pipe (`| head`) is reported as
/// [`Error::BrokenPipe`], which `main` treats as success.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|_| out.flush()).map_err(|source| {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Write { path: "<stdout>".into(), source }
        }
    })
}

/// Pretty JSON with a final newline; key order is the types' field order.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    let mut s = serde_json::to_string_pretty(value).map_err(|e| Error::Failed(format!("cannot encode JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// YAML text of a value.
pub fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_yaml::to_string(value).map_err(|e| Error::Failed(format!("cannot encode YAML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_sets_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/key.txt");
        write_atomic(&p, b"secret", Some(0o600)).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1);
    }

    /// The process umask, from /proc (Linux); reading it this way changes nothing.
    #[cfg(target_os = "linux")]
    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn default_mode_goes_through_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gen.nix");
        write_atomic(&p, b"{ }\n", None).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, DEFAULT_MODE & !umask());
        // Rewriting keeps the same rule (no stale mode from the old file).
        write_file(&p, b"{ a = 1; }\n", Some(0o600), Durability::Durable).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600 & !umask());
    }

    #[test]
    fn durable_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token.yaml");
        write_file(&p, b"one", Some(0o600), Durability::Durable).unwrap();
        write_file(&p, b"two", Some(0o600), Durability::Durable).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// A new file is created in place; a symlink in its place is replaced, never followed
    /// (`O_EXCL` refuses it, and the atomic path renames over the link itself).
    #[cfg(unix)]
    #[test]
    fn a_new_file_is_created_in_place_and_a_symlink_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.nix");
        write_atomic(&p, b"{ }\n", None).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{ }\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.nix");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new", None).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_file());
        assert_eq!(std::fs::read(&link).unwrap(), b"new");
    }

    #[test]
    fn reads_are_bounded() {
        let e = read_bounded(std::io::repeat(b'y'), "<stdin>", 1024).unwrap_err().to_string();
        assert!(e.contains("larger than the input limit of 1024") && e.contains(MAX_INPUT_ENV), "{e}");
        assert_eq!(read_bounded(&b"abc"[..], "x", 3).unwrap(), "abc");
        let e = read_bounded(&b"a\xffb"[..], "x", 10).unwrap_err().to_string();
        assert!(e.contains("not UTF-8") && e.contains("offset 1"), "{e}");
    }

    /// Regression: re-running a tool rewrote every unchanged file; on the build machine each
    /// replaced file cost a synchronous discard (kube-bootstrap's 12 manifests: ~40 ms).
    #[cfg(unix)]
    #[test]
    fn identical_rewrite_keeps_the_file_but_a_wider_mode_or_new_bytes_replace_it() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hosts/a/network.nix");
        write_all(dir.path(), &[OutputFile::text("hosts/a/network.nix", "{ }\n")]).unwrap();
        let ino = std::fs::metadata(&p).unwrap().ino();
        write_all(dir.path(), &[OutputFile::text("hosts/a/network.nix", "{ }\n")]).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().ino(), ino, "unchanged file was replaced");
        // Same bytes, but the file may be read by others and the new one must not be.
        write_atomic(&p, b"{ }\n", Some(0o600)).unwrap();
        let meta = std::fs::metadata(&p).unwrap();
        assert_ne!(meta.ino(), ino);
        assert_eq!(meta.permissions().mode() & 0o077, 0);
        // New bytes of the same length are written.
        let ino = meta.ino();
        write_atomic(&p, b"{ }\t", Some(0o600)).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{ }\t");
        assert_ne!(std::fs::metadata(&p).unwrap().ino(), ino);
        // A symlink with the right target contents is replaced by a file.
        let target = dir.path().join("target.nix");
        std::fs::write(&target, b"{ }\n").unwrap();
        let link = dir.path().join("link.nix");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"{ }\n", None).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
        // Durable writes always write (the old contents may never have been fsynced).
        let ino = std::fs::metadata(&p).unwrap().ino();
        write_file(&p, b"{ }\t", Some(0o600), Durability::Durable).unwrap();
        assert_ne!(std::fs::metadata(&p).unwrap().ino(), ino);
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["network.nix"], "no temporary file left");
    }

    /// A folder that was there is written comparison first; a new file, new bytes and a
    /// symlink in it are still written, and the link's target is never touched.
    #[cfg(unix)]
    #[test]
    fn write_all_into_an_existing_folder_compares_first_and_writes_what_changed() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &[OutputFile::text("hosts/a/network.nix", "{ }\n")]).unwrap();
        let p = dir.path().join("hosts/a/network.nix");
        let ino = std::fs::metadata(&p).unwrap().ino();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("hosts/a/link.nix");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_all(
            dir.path(),
            &[
                OutputFile::text("hosts/a/network.nix", "{ x = 1; }\n"),
                OutputFile::text("hosts/a/new.nix", "{ }\n"),
                OutputFile::text("hosts/a/link.nix", "keep"),
            ],
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{ x = 1; }\n");
        assert_ne!(std::fs::metadata(&p).unwrap().ino(), ino);
        assert_eq!(std::fs::read_to_string(dir.path().join("hosts/a/new.nix")).unwrap(), "{ }\n");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file(), "the symlink was kept");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let mut names: Vec<_> =
            std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["link.nix", "network.nix", "new.nix"], "no temporary file left");
    }

    /// Regression (issue 11): a tool run directly with an absolute input path wrote that
    /// path into every header, so two checkouts rendered different bytes.
    #[test]
    fn headers_never_name_an_absolute_input_path() {
        let cases = [
            (Some("cluster.json"), Some("/x/out"), "cluster.json"),
            (Some("../inv.yaml"), None, "../inv.yaml"),
            (None, Some("/x/out"), "<stdin>"),
            (Some("-"), Some("/x/out"), "<stdin>"),
            (Some("/x/out/.n3x/stage/cluster.json"), Some("/x/out/.n3x/stage"), "cluster.json"),
            (Some("/x/out/cluster.json"), Some("/x/out/hosts"), "../cluster.json"),
            (Some("/x/inventory.yaml"), Some("/x/out"), "../inventory.yaml"),
            (Some("/x/examples/a/inventory.yaml"), Some("/x/./out"), "../examples/a/inventory.yaml"),
            (Some("/home/alice/n3x/inventory.yaml"), Some("/tmp/render/out"), "inventory.yaml"),
            (Some("/home/alice/inventory.yaml"), None, "inventory.yaml"),
            (Some("/x/out"), Some("/x/out"), "out"),
        ];
        let mut checked = 0;
        for (input, out, want) in cases {
            let got = header_input_name(input.map(Path::new), out.map(Path::new));
            assert_eq!(got, want, "{input:?} {out:?}");
            assert!(!got.starts_with('/'));
            checked += 1;
        }
        assert_eq!(checked, 11);
        // A relative output folder is taken from the working folder.
        let cwd = std::env::current_dir().unwrap();
        let input = cwd.join("inventory.yaml");
        assert_eq!(header_input_name(Some(&input), Some(Path::new("out"))), "../inventory.yaml");
    }

    #[test]
    fn write_all_refuses_escape() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_all(dir.path(), &[OutputFile::text("../x", "y")]).unwrap_err();
        assert!(err.to_string().contains("refusing"));
    }
}
