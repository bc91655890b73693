//! Moving a freshly rendered tree into the output folder (`n3x-inventory sync`, called by
//! `scripts/render`). The tools render into a staging folder inside the output folder;
//! this module then makes the output folder equal to it without touching what did not
//! change, and removes what n3x generated last time but no longer generates:
//!
//! - a staged file whose bytes and mode equal the output's is dropped (the output keeps
//!   its inode and mtime, so `make` and `git status` see nothing);
//! - any other staged file is renamed over the output's (atomic: same file system);
//! - a staged folder the output lacks (every folder of a first render, a new node's
//!   `hosts/<node>/`) is renamed whole: one rename instead of one per file;
//! - a file listed in the previous manifest ([`MANIFEST`]) but not staged now is removed,
//!   and so are folders it leaves empty; only listed files are ever removed, so a file a
//!   person added (or a create-once file such as `hosts/<node>/local.nix`) is never touched;
//! - create-once files are moved only when the output has none, and never listed.
//!
//! Only the folders of durable files (secret files) and the manifest are fsynced: the rest
//! is regenerable (see [`crate::io::Durability`]). This module touches the file system
//! by design; it holds no rendering logic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use crate::cli::Error;
use crate::io::{sync_dir, write_file, Durability};

/// Where the manifest of generated files lives, relative to the output folder.
pub const MANIFEST: &str = ".n3x/generated";

/// What the sync does with special paths (glob patterns: `*` matches within one path
/// segment, a `**` segment matches any number of segments).
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Files the user owns after the first render: written only when absent, never listed.
    pub create_once: Vec<String>,
    /// Files that cannot be regenerated (secret files): their folders are fsynced.
    pub durable: Vec<String>,
}

/// What a sync did, relative paths in sorted order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Files that did not exist in the output before.
    pub added: Vec<String>,
    /// Files whose contents or mode changed.
    pub changed: Vec<String>,
    /// Number of files left as they were.
    pub unchanged: usize,
    /// Files n3x generated last time and no longer generates, now removed.
    pub removed: Vec<String>,
    /// Create-once files written because they were absent.
    pub created_once: Vec<String>,
}

/// True when `path` (relative, `/`-separated) matches `pattern`.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let s: Vec<&str> = path.split('/').collect();
    match_segments(&p, &s)
}

fn match_segments(p: &[&str], s: &[&str]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((&"**", rest)) => (0..=s.len()).any(|i| match_segments(rest, &s[i..])),
        Some((first, rest)) => match s.split_first() {
            Some((seg, srest)) => match_segment(first.as_bytes(), seg.as_bytes()) && match_segments(rest, srest),
            None => false,
        },
    }
}

fn match_segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| match_segment(rest, &s[i..])),
        Some((c, rest)) => s.split_first().is_some_and(|(d, srest)| c == d && match_segment(rest, srest)),
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write { path: path.display().to_string(), source }
}

/// A relative path as the manifest writes it: `/`-separated, no `.`/`..`, not under `.n3x/`.
fn checked_rel(rel: &str) -> Option<&str> {
    let p = Path::new(rel);
    let plain = !rel.is_empty()
        && !rel.contains('\n')
        && p.components().all(|c| matches!(c, Component::Normal(_)))
        && !rel.starts_with(".n3x/");
    plain.then_some(rel)
}

/// Every regular file under `dir`, as sorted relative `/`-paths.
fn walk(dir: &Path) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        for entry in
            std::fs::read_dir(&here).map_err(|source| Error::Read { path: here.display().to_string(), source })?
        {
            let entry = entry.map_err(|source| Error::Read { path: here.display().to_string(), source })?;
            let name = entry.file_name();
            let child = rel.join(&name);
            let kind = entry.file_type().map_err(|source| Error::Read { path: here.display().to_string(), source })?;
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                let s = child.to_str().ok_or_else(|| {
                    Error::Failed(format!("{}: the file name is not UTF-8", dir.join(&child).display()))
                })?;
                out.push(s.to_string());
            } else {
                return Err(Error::Failed(format!(
                    "{}: not a regular file or folder; the rendered tree holds only files",
                    dir.join(&child).display()
                )));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The previous manifest's paths (empty when there is none).
pub fn read_manifest(out: &Path) -> Result<BTreeSet<String>, Error> {
    let path = out.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(source) => return Err(Error::Read { path: path.display().to_string(), source }),
    };
    let mut set = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let rel = checked_rel(line).ok_or_else(|| {
            Error::Failed(format!(
                "{}:{}: {line:?} is not a path inside the output folder; the manifest is written by n3x, delete it to start over",
                path.display(),
                i + 1
            ))
        })?;
        set.insert(rel.to_string());
    }
    Ok(set)
}

fn render_manifest(paths: &BTreeSet<String>) -> String {
    let mut s = String::from(
        "# Files n3x generated in this folder (scripts/render). The next render replaces them\n# and removes those it no longer generates; files not listed here are never touched.\n",
    );
    for p in paths {
        s.push_str(p);
        s.push('\n');
    }
    s
}

fn same_file(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (ma, mb) = match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => (ma, mb),
        (_, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    if !mb.is_file() || ma.len() != mb.len() {
        return Ok(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if ma.permissions().mode() & 0o7777 != mb.permissions().mode() & 0o7777 {
            return Ok(false);
        }
    }
    Ok(std::fs::read(a)? == std::fs::read(b)?)
}

/// `rename(2)` across file systems (Linux `EXDEV`): the stage is then copied, not moved.
const EXDEV: i32 = 18;

/// Moves a whole staged folder to where the output has nothing; false when the stage is on
/// another file system (the caller then moves its files one by one).
fn move_folder(from: &Path, to: &Path) -> Result<bool, Error> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    match std::fs::rename(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(EXDEV) => Ok(false),
        Err(source) => Err(Error::Write { path: to.display().to_string(), source }),
    }
}

fn move_into(from: &Path, to: &Path) -> Result<(), Error> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    if to.is_dir() {
        return Err(Error::Failed(format!(
            "{}: n3x generates a file here but this is a folder; move it away",
            to.display()
        )));
    }
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        // A staging folder on another file system: copy through a temporary file.
        Err(e) if e.raw_os_error() == Some(EXDEV) => {
            let bytes =
                std::fs::read(from).map_err(|source| Error::Read { path: from.display().to_string(), source })?;
            #[cfg(unix)]
            let mode = {
                use std::os::unix::fs::PermissionsExt;
                std::fs::metadata(from).ok().map(|m| m.permissions().mode() & 0o7777)
            };
            #[cfg(not(unix))]
            let mode = None;
            write_file(to, &bytes, mode, Durability::Regenerable)
        }
        Err(source) => Err(Error::Write { path: to.display().to_string(), source }),
    }
}

/// The top-most folder of `rel` (a staged file) that the output lacks, if any: such a
/// folder moves whole. `known` caches, per folder, whether the output lacked it when the
/// sync started, so later files of a moved folder find the same answer.
fn new_folder<'a>(rel: &'a str, out: &Path, known: &mut HashMap<String, bool>) -> Option<&'a str> {
    let mut end = 0;
    while let Some(i) = rel[end..].find('/') {
        let dir = &rel[..end + i];
        let absent = *known.entry(dir.to_string()).or_insert_with(|| {
            // Only a missing path is new; a file in the folder's place is reported by the
            // per-file path with its own message.
            matches!(std::fs::symlink_metadata(out.join(dir)), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
        });
        if absent {
            return Some(dir);
        }
        end += i + 1;
    }
    None
}

/// Makes `out` hold what `stage` holds (see the module comment) and writes the new
/// manifest. `stage` is consumed: moved files leave it; the caller removes the rest.
pub fn sync_tree(stage: &Path, out: &Path, opts: &SyncOptions) -> Result<SyncReport, Error> {
    let old = read_manifest(out)?;
    let staged = walk(stage)?;
    let matches = |pats: &[String], rel: &str| pats.iter().any(|p| glob_match(p, rel));
    let mut report = SyncReport::default();
    let mut generated = BTreeSet::new();
    // Folders to fsync, by path (BTreeMap: a stable order, each folder once).
    let mut durable_dirs: BTreeMap<PathBuf, ()> = BTreeMap::new();
    // A folder the output lacks (a first render, a new node) moves with one rename instead
    // of one per file; the value says whether that rename worked (false: another file
    // system, so its files are copied one by one).
    let mut absent: HashMap<String, bool> = HashMap::new();
    let mut moved: HashMap<String, bool> = HashMap::new();
    for rel in &staged {
        let rel = checked_rel(rel)
            .ok_or_else(|| Error::Failed(format!("{}: not a plain relative path", stage.join(rel).display())))?;
        let from = stage.join(rel);
        let to = out.join(rel);
        if let Some(dir) = new_folder(rel, out, &mut absent) {
            let whole = match moved.get(dir) {
                Some(&done) => done,
                None => {
                    let done = move_folder(&stage.join(dir), &out.join(dir))?;
                    moved.insert(dir.to_string(), done);
                    done
                }
            };
            if whole {
                if matches(&opts.create_once, rel) {
                    report.created_once.push(rel.to_string());
                    continue;
                }
                generated.insert(rel.to_string());
                report.added.push(rel.to_string());
                if matches(&opts.durable, rel) {
                    for d in [to.parent(), out.join(dir).parent()].into_iter().flatten() {
                        durable_dirs.insert(d.to_path_buf(), ());
                    }
                }
                continue;
            }
        }
        if matches(&opts.create_once, rel) {
            if !to.exists() {
                move_into(&from, &to)?;
                report.created_once.push(rel.to_string());
            }
            continue;
        }
        generated.insert(rel.to_string());
        let existed = to.exists();
        if same_file(&from, &to).map_err(io_err(&to))? {
            report.unchanged += 1;
            continue;
        }
        move_into(&from, &to)?;
        if matches(&opts.durable, rel) {
            if let Some(parent) = to.parent() {
                durable_dirs.insert(parent.to_path_buf(), ());
            }
        }
        if existed {
            report.changed.push(rel.to_string());
        } else {
            report.added.push(rel.to_string());
        }
    }
    for rel in old.difference(&generated) {
        let path = out.join(rel);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Write { path: path.display().to_string(), source }),
        }
        report.removed.push(rel.clone());
        if matches(&opts.durable, rel) {
            if let Some(parent) = path.parent() {
                durable_dirs.insert(parent.to_path_buf(), ());
            }
        }
        // Folders the removal left empty go too (never `out` itself).
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == out || !d.starts_with(out) || std::fs::remove_dir(d).is_err() {
                break;
            }
            durable_dirs.remove(d);
            dir = d.parent();
        }
    }
    for d in durable_dirs.keys() {
        if d.is_dir() {
            sync_dir(d).map_err(io_err(d))?;
        }
    }
    // Without the manifest the next render cannot know what to remove: durable.
    write_file(&out.join(MANIFEST), render_manifest(&generated).as_bytes(), None, Durability::Durable)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn put(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn globs() {
        assert!(glob_match("hosts/*/local.nix", "hosts/n1/local.nix"));
        assert!(!glob_match("hosts/*/local.nix", "hosts/n1/x/local.nix"));
        assert!(glob_match("secrets/**", "secrets/hosts/n1.yaml"));
        assert!(glob_match("*.md", "README.md"));
        assert!(!glob_match("*.md", "docs/README.md"));
    }

    #[test]
    fn sync_adds_keeps_replaces_and_removes_only_what_it_generated() {
        let out = tempfile::tempdir().unwrap();
        let opts = SyncOptions { create_once: vec!["hosts/*/local.nix".into()], durable: vec!["secrets/**".into()] };
        let stage = out.path().join(".n3x/stage");
        put(&stage, "hosts/a/default.nix", "a");
        put(&stage, "hosts/b/default.nix", "b");
        put(&stage, "hosts/b/local.nix", "stub");
        put(&stage, "secrets/hosts/b.yaml", "enc");
        let r = sync_tree(&stage, out.path(), &opts).unwrap();
        assert_eq!(r.added, vec!["hosts/a/default.nix", "hosts/b/default.nix", "secrets/hosts/b.yaml"]);
        assert_eq!(r.created_once, vec!["hosts/b/local.nix"]);
        assert!(!stage.join("hosts").exists() && !stage.join("secrets").exists(), "new folders move whole");
        std::fs::remove_dir_all(&stage).unwrap();

        // The user edits local.nix and adds a file of their own; node b goes away.
        put(out.path(), "hosts/b/local.nix", "mine");
        put(out.path(), "notes.txt", "mine");
        let before = std::fs::metadata(out.path().join("hosts/a/default.nix")).unwrap().modified().unwrap();
        put(&stage, "hosts/a/default.nix", "a");
        put(&stage, "flake.nix", "f");
        put(&stage, "hosts/c/default.nix", "c");
        put(&stage, "hosts/c/local.nix", "stub");
        let r = sync_tree(&stage, out.path(), &opts).unwrap();
        assert_eq!(r.added, vec!["flake.nix", "hosts/c/default.nix"]);
        assert_eq!(r.created_once, vec!["hosts/c/local.nix"]);
        assert!(!stage.join("hosts/c").exists(), "a new node's folder moves whole");
        assert!(stage.join("hosts/a/default.nix").exists(), "an unchanged file is dropped, not moved");
        assert_eq!(r.unchanged, 1);
        assert_eq!(r.removed, vec!["hosts/b/default.nix", "secrets/hosts/b.yaml"]);
        let after = std::fs::metadata(out.path().join("hosts/a/default.nix")).unwrap().modified().unwrap();
        assert_eq!(before, after, "an unchanged file is not rewritten");
        assert_eq!(std::fs::read_to_string(out.path().join("hosts/b/local.nix")).unwrap(), "mine");
        assert!(out.path().join("notes.txt").is_file());
        assert!(!out.path().join("secrets").exists(), "the emptied folders go");
        let listed = read_manifest(out.path()).unwrap();
        assert_eq!(
            listed.into_iter().collect::<Vec<_>>(),
            vec!["flake.nix", "hosts/a/default.nix", "hosts/c/default.nix"]
        );
    }

    #[test]
    fn a_manifest_pointing_outside_is_refused() {
        let out = tempfile::tempdir().unwrap();
        put(out.path(), MANIFEST, "# x\nhosts/a.nix\n../../etc/passwd\n");
        let err = read_manifest(out.path()).unwrap_err().to_string();
        assert!(err.contains("generated:3"), "{err}");
    }
}
