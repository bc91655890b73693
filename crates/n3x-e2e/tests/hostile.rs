//! The hostile-input corpus (`tests/hostile/`, see its README) run against every binary
//! that reads each file, as a user would run them: the workspace's own binaries, each
//! child under an address-space limit (`ulimit -v`, 1 GiB) and a wall-clock limit
//! (20 s, then killed).
//!
//! A refused input must give exit 1, a message on stderr naming the problem, nothing on
//! stdout, no partial output folder, no panic and no allocation failure. Injection
//! cases also check the positive property on whatever a tool does write: no line an
//! attacker planted ever becomes a live line of a networkd unit, a Nix file or a YAML
//! manifest. Each test is named after what the input broke on the day it was found;
//! every loop asserts how many runs it checked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-clock limit per child process.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Address-space limit per child process, in KiB (`ulimit -v`): 1 GiB.
const MEMORY_KIB: u64 = 1 << 20;
/// What an attacker plants after a newline; none of it may become a live output line.
/// (`[Network]` and `[Route]` are planted too, but are legitimate sections of a unit;
/// the settings planted with them are what would give the attacker anything.)
const PLANTED: &[&str] = &["[Injected]", "DNS=6.6.6.6", "Gateway=6.6.6.6"];
/// A valid age recipient (the example inventory's admin) for `n3x-secrets encrypt`.
const RECIPIENT: &str = "age16qng4eppf7fg6xjyhqr7hvr26jwypdn0pet85k9zxyn2n445r38sfdxd8z";

/// The workspace's binaries (built once; see `n3x_testkit::workspace_binaries`).
fn bin_dir() -> PathBuf {
    n3x_testkit::workspace_binaries()
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile").join(name)
}

/// What the child reads on standard input.
enum Stdin {
    /// Nothing (`/dev/null`).
    Null,
    /// `head`, then `fill` repeated until `total` bytes were sent (streamed, never held in memory).
    Stream { head: Vec<u8>, fill: Vec<u8>, total: u64 },
    /// `fill` repeated forever (`yes`); stops when the child closes its end.
    Endless(Vec<u8>),
}

/// One finished (or killed) run.
#[derive(Debug)]
struct Outcome {
    label: String,
    code: Option<i32>,
    stdout: Vec<u8>,
    stdout_len: usize,
    stderr: String,
    elapsed: Duration,
    timed_out: bool,
}

/// Keeps at most this much of a child's output in memory (the length is still counted).
const KEEP: usize = 1 << 20;

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<(Vec<u8>, usize)> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0usize;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    let room = KEEP.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        (kept, total)
    })
}

/// Runs the workspace binary `tool` with `args` in `cwd` under the memory and time limits.
fn run(tool: &str, args: &[OsString], cwd: &Path, stdin: Stdin) -> Outcome {
    run_program(&bin_dir().join(tool), args, cwd, stdin)
}

/// Runs `bin args…` in `cwd` under the memory and time limits.
fn run_program(bin: &Path, args: &[OsString], cwd: &Path, stdin: Stdin) -> Outcome {
    let tool = bin.file_name().unwrap_or_default().to_string_lossy();
    let label =
        format!("{tool} {}", args.iter().map(|a| format!("{:?}", a.to_string_lossy())).collect::<Vec<_>>().join(" "));
    let mut cmd = Command::new("sh");
    // `exec` keeps the limit on the tool itself; "$0" is the binary, "$@" its arguments.
    cmd.arg("-c").arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\"")).arg(bin).args(args);
    cmd.current_dir(cwd).env("HOME", cwd).env_remove("XDG_CONFIG_HOME").env_remove("RUST_BACKTRACE");
    for v in
        ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_RECIPIENTS", "SOPS_CONFIG", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"]
    {
        cmd.env_remove(v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(match stdin {
        Stdin::Null => Stdio::null(),
        _ => Stdio::piped(),
    });
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {label}: {e}"));
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let feeder = child.stdin.take().map(|mut w| {
        std::thread::spawn(move || {
            // A write error means the child closed its end (it stopped reading): fine.
            match stdin {
                Stdin::Null => {}
                Stdin::Stream { head, fill, total } => {
                    if w.write_all(&head).is_err() {
                        return;
                    }
                    let mut sent = head.len() as u64;
                    while sent < total {
                        let n = fill.len().min(usize::try_from(total - sent).unwrap_or(usize::MAX));
                        if w.write_all(&fill[..n]).is_err() {
                            return;
                        }
                        sent += n as u64;
                    }
                }
                Stdin::Endless(fill) => while w.write_all(&fill).is_ok() {},
            }
        })
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > TIMEOUT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    if let Some(f) = feeder {
        f.join().unwrap();
    }
    let (stdout, stdout_len) = out.join().unwrap();
    let (stderr, _) = err.join().unwrap();
    Outcome {
        label,
        code: status.code(),
        stdout,
        stdout_len,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed,
        timed_out,
    }
}

/// Asserts a run ended in time, by itself, without a panic or an allocation failure.
fn assert_bounded(o: &Outcome) {
    assert!(!o.timed_out, "{}: still running after {TIMEOUT:?}, killed\nstderr: {}", o.label, head(&o.stderr));
    assert!(
        o.code.is_some(),
        "{}: killed by a signal (memory limit {MEMORY_KIB} KiB?) after {:?}\nstderr: {}",
        o.label,
        o.elapsed,
        head(&o.stderr)
    );
    for bad in ["panicked", "memory allocation of", "RUST_BACKTRACE", "stack overflow"] {
        assert!(!o.stderr.contains(bad), "{}: stderr shows {bad:?}:\n{}", o.label, head(&o.stderr));
    }
}

/// Asserts the input was refused: exit 1, nothing on stdout, a message naming it.
fn assert_refused(o: &Outcome, names: &[&str]) {
    assert_bounded(o);
    assert_eq!(o.code, Some(1), "{}: expected exit 1\nstderr: {}", o.label, head(&o.stderr));
    assert_eq!(o.stdout_len, 0, "{}: wrote to stdout on a refused input:\n{}", o.label, head_bytes(&o.stdout));
    let lower = o.stderr.to_lowercase();
    assert!(
        names.iter().any(|n| lower.contains(&n.to_lowercase())),
        "{}: the message does not name the problem (expected one of {names:?}):\n{}",
        o.label,
        head(&o.stderr)
    );
}

fn head(s: &str) -> String {
    s.chars().take(2000).collect()
}

fn head_bytes(b: &[u8]) -> String {
    head(&String::from_utf8_lossy(b))
}

/// A reader: a binary and its arguments, `IN` standing for the input, `OUT` for an
/// output folder (which must stay empty when the input is refused).
#[derive(Debug, Clone, Copy)]
struct Reader {
    tool: &'static str,
    args: &'static [&'static str],
}

const IN: &str = "{in}";
const OUT: &str = "{out}";

/// Every command that reads an Inventory (or Cluster) document.
const INVENTORY_READERS: &[Reader] = &[
    Reader { tool: "n3x-inventory", args: &["check", IN] },
    Reader { tool: "n3x-inventory", args: &["normalize", IN] },
    Reader { tool: "n3x-inventory", args: &["render-flake", IN, "--out", OUT] },
    Reader { tool: "n3x-disko", args: &["plan", IN] },
    Reader { tool: "n3x-disko", args: &["render", IN, "--out", OUT] },
    Reader { tool: "n3x-netplan", args: &["plan", IN] },
    Reader { tool: "n3x-netplan", args: &["render", IN, "--format", "networkd", "--out", OUT] },
    Reader { tool: "n3x-netplan", args: &["check", IN] },
    Reader { tool: "n3x-kube-bootstrap", args: &["render", IN] },
];

/// Every command that reads a standalone netplan file.
const NETPLAN_READERS: &[Reader] = &[
    Reader { tool: "n3x-netplan", args: &["plan", "--from-netplan", IN] },
    Reader { tool: "n3x-netplan", args: &["render", "--from-netplan", IN, "--format", "networkd", "--out", OUT] },
];

/// Every command that reads a (plaintext or sops) secret file with n3x-secrets' own YAML reader.
const SECRET_READERS: &[Reader] = &[
    Reader { tool: "n3x-secrets", args: &["encrypt", IN, "--input-type", "yaml", "--age", RECIPIENT] },
    Reader { tool: "n3x-secrets", args: &["decrypt", IN, "--input-type", "yaml"] },
];

/// A scratch folder per run: the working folder and HOME, and `out/` for `OUT`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().unwrap() }
    }
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
    fn args(&self, r: &Reader, input: &Path) -> Vec<OsString> {
        r.args
            .iter()
            .map(|a| match *a {
                IN => input.as_os_str().to_owned(),
                OUT => self.out().into_os_string(),
                other => OsString::from(other),
            })
            .collect()
    }
    /// Names of the files under `out/`, if it exists.
    fn written(&self) -> Vec<PathBuf> {
        fn walk(d: &Path, acc: &mut Vec<PathBuf>) {
            let Ok(rd) = std::fs::read_dir(d) else { return };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, acc);
                } else {
                    acc.push(p);
                }
            }
        }
        let mut acc = Vec::new();
        walk(&self.out(), &mut acc);
        acc.sort();
        acc
    }
}

/// Runs every reader on `input` (a file) and asserts each refuses it; returns the count.
fn refused_by_all(readers: &[Reader], input: &Path, names: &[&str]) -> usize {
    let mut checked = 0;
    for r in readers {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, input), s.dir.path(), Stdin::Null);
        assert_refused(&o, names);
        assert_eq!(s.written(), Vec::<PathBuf>::new(), "{}: left partial output", o.label);
        checked += 1;
    }
    checked
}

/// Runs every reader with the input on standard input (`-`); returns the count.
fn refused_on_stdin(readers: &[Reader], stdin: impl Fn() -> Stdin, names: &[&str]) -> usize {
    let mut checked = 0;
    for r in readers {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, Path::new("-")), s.dir.path(), stdin());
        assert_refused(&o, names);
        assert_eq!(s.written(), Vec::<PathBuf>::new(), "{}: left partial output", o.label);
        checked += 1;
    }
    checked
}

/// Writes `bytes` into a fresh temporary file named `name`.
fn temp_input(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (d, p)
}

/// Asserts no planted line became a line of its own in `text` (ignoring leading blanks).
fn assert_nothing_planted(label: &str, file: &str, text: &str) {
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        for p in PLANTED {
            assert!(!l.starts_with(p), "{label}: {file}:{}: a planted line went live: {line:?}\n{text}", i + 1);
        }
    }
}

// ---------------------------------------------------------------------------
// Resource exhaustion

#[test]
fn alias_bomb_is_refused_by_every_reader() {
    let mut checked = 0;
    for f in ["alias-bomb.yaml", "alias-bomb-mappings.yaml"] {
        checked += refused_by_all(INVENTORY_READERS, &corpus(f), &["alias"]);
    }
    checked += refused_by_all(NETPLAN_READERS, &corpus("alias-bomb-netplan.yaml"), &["alias"]);
    checked += refused_by_all(SECRET_READERS, &corpus("alias-bomb-secret.yaml"), &["alias"]);
    assert_eq!(checked, 2 * INVENTORY_READERS.len() + NETPLAN_READERS.len() + SECRET_READERS.len());
}

/// 10^5 opening brackets (and, separately, 10^5 nested flow mappings) after a valid header.
fn deep(open: &str) -> Vec<u8> {
    let mut s = String::from("apiVersion: n3x.dev/v1alpha1\nkind: Inventory\nx: ");
    s.push_str(&open.repeat(100_000));
    s.push('\n');
    s.into_bytes()
}

#[test]
fn deep_nesting_is_refused_by_every_reader() {
    let mut checked = 0;
    for (name, open) in [("deep-seq.yaml", "["), ("deep-map.yaml", "{a: ")] {
        let (_d, f) = temp_input(name, &deep(open));
        checked += refused_by_all(INVENTORY_READERS, &f, &["depth", "deep", "nest"]);
        checked += refused_by_all(SECRET_READERS, &f, &["depth", "deep", "nest"]);
        let mut np = String::from("network:\n  version: 2\n  x: ");
        np.push_str(&open.repeat(100_000));
        let (_d2, f2) = temp_input(name, np.as_bytes());
        checked += refused_by_all(NETPLAN_READERS, &f2, &["depth", "deep", "nest"]);
    }
    assert_eq!(checked, 2 * (INVENTORY_READERS.len() + SECRET_READERS.len() + NETPLAN_READERS.len()));
}

/// Words a size-cap refusal uses.
const SIZE_CAP: &[&str] = &["too large", "larger than", "limit", "exceeds", "at most"];

/// A 200 MB scalar, streamed on standard input.
fn huge_scalar() -> Stdin {
    Stdin::Stream {
        head: b"apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster:\n  name: ".to_vec(),
        fill: vec![b'a'; 1 << 20],
        total: 200_000_000,
    }
}

#[test]
fn huge_scalar_on_stdin_is_refused_by_every_reader() {
    let mut checked = refused_on_stdin(INVENTORY_READERS, huge_scalar, SIZE_CAP);
    checked += refused_on_stdin(NETPLAN_READERS, huge_scalar, SIZE_CAP);
    checked += refused_on_stdin(SECRET_READERS, huge_scalar, SIZE_CAP);
    assert_eq!(checked, INVENTORY_READERS.len() + NETPLAN_READERS.len() + SECRET_READERS.len());
}

#[test]
fn endless_stdin_is_refused_by_every_reader() {
    // `yes | n3x-inventory check` grew without bound.
    let yes = || Stdin::Endless(b"y\n".repeat(32 * 1024));
    let mut checked = refused_on_stdin(INVENTORY_READERS, yes, SIZE_CAP);
    checked += refused_on_stdin(NETPLAN_READERS, yes, SIZE_CAP);
    checked += refused_on_stdin(SECRET_READERS, yes, SIZE_CAP);
    assert_eq!(checked, INVENTORY_READERS.len() + NETPLAN_READERS.len() + SECRET_READERS.len());
}

// ---------------------------------------------------------------------------
// Bytes that are not text

#[test]
fn nul_byte_cannot_truncate_a_document() {
    // A NUL byte ended the YAML stream silently: what followed it (here a second,
    // duplicate `nodes:` key) was never read, and the inventory was accepted.
    let mut checked = 0;
    for f in ["nul-byte.yaml", "nul-byte-hides-tail.yaml"] {
        checked += refused_by_all(INVENTORY_READERS, &corpus(f), &["NUL"]);
        checked += refused_by_all(SECRET_READERS, &corpus(f), &["NUL"]);
    }
    assert_eq!(checked, 2 * (INVENTORY_READERS.len() + SECRET_READERS.len()));
}

#[test]
fn invalid_utf8_is_refused_by_every_reader() {
    let mut checked = 0;
    for f in ["invalid-utf8.yaml", "utf16le.yaml"] {
        checked += refused_by_all(INVENTORY_READERS, &corpus(f), &["UTF-8"]);
        checked += refused_by_all(NETPLAN_READERS, &corpus(f), &["UTF-8"]);
        checked += refused_by_all(SECRET_READERS, &corpus(f), &["UTF-8"]);
    }
    assert_eq!(checked, 2 * (INVENTORY_READERS.len() + NETPLAN_READERS.len() + SECRET_READERS.len()));
}

#[test]
fn utf8_bom_reads_like_the_same_text_without_it() {
    // A byte-order mark made the first key "\u{feff}apiVersion": a valid inventory
    // was refused with "missing apiVersion".
    let bom = std::fs::read(corpus("bom-utf8.yaml")).unwrap();
    let plain = std::fs::read(corpus("valid-inventory.yaml")).unwrap();
    assert_eq!(&bom[3..], &plain[..], "bom-utf8.yaml is valid-inventory.yaml behind a BOM");
    // The same relative name for both, so headers that name the input agree.
    let mut checked = 0;
    for r in INVENTORY_READERS {
        let (s1, s2) = (Scratch::new(), Scratch::new());
        std::fs::write(s1.dir.path().join("inventory.yaml"), &bom).unwrap();
        std::fs::write(s2.dir.path().join("inventory.yaml"), &plain).unwrap();
        let input = Path::new("inventory.yaml");
        let got = run(r.tool, &s1.args(r, input), s1.dir.path(), Stdin::Null);
        let want = run(r.tool, &s2.args(r, input), s2.dir.path(), Stdin::Null);
        assert_bounded(&got);
        assert_eq!(want.code, Some(0), "{}: the control input is refused:\n{}", want.label, want.stderr);
        assert_eq!(got.code, Some(0), "{}: refused behind a BOM:\n{}", got.label, got.stderr);
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&want.stdout),
            "{}: output differs behind a BOM",
            got.label
        );
        let files = |s: &Scratch| {
            s.written()
                .iter()
                .map(|p| (p.strip_prefix(s.out()).unwrap().to_path_buf(), std::fs::read_to_string(p).unwrap()))
                .collect::<Vec<_>>()
        };
        assert_eq!(files(&s1), files(&s2), "{}: files differ behind a BOM", got.label);
        checked += 1;
    }
    assert_eq!(checked, INVENTORY_READERS.len());
}

// ---------------------------------------------------------------------------
// Injection into line-oriented output

/// Runs the readers that render networkd units; asserts nothing planted went live in
/// what an accepting tool wrote, then that the input was refused naming `names`.
fn injection_refused(readers: &[Reader], input: &Path, names: &[&str]) -> usize {
    let mut checked = 0;
    for r in readers {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, input), s.dir.path(), Stdin::Null);
        assert_bounded(&o);
        assert_nothing_planted(&o.label, "<stdout>", &String::from_utf8_lossy(&o.stdout));
        for f in s.written() {
            assert_nothing_planted(&o.label, &f.display().to_string(), &std::fs::read_to_string(&f).unwrap());
        }
        assert_refused(&o, names);
        checked += 1;
    }
    checked
}

#[test]
fn newline_in_interface_name_cannot_inject_networkd_section() {
    // `interface: "eno1\n[Network]\nDNS=6.6.6.6"` wrote a live [Network] section.
    let mut checked = injection_refused(INVENTORY_READERS, &corpus("newline-in-interface-name.yaml"), &["interface"]);
    checked += injection_refused(NETPLAN_READERS, &corpus("netplan-newline-in-interface-name.yaml"), &["interface"]);
    assert_eq!(checked, INVENTORY_READERS.len() + NETPLAN_READERS.len());
}

#[test]
fn newline_in_search_domain_cannot_inject_networkd_section() {
    // A netplan `nameservers.search` entry with a newline wrote a live [Route] section.
    // In an inventory the netplan document is read by `check` and by n3x-netplan, which
    // must refuse it; the other readers pass it through (normalize) or never look at it
    // (disko, kube-bootstrap), and whatever they write must still hold nothing planted.
    let embedded = corpus("newline-in-search-domain.yaml");
    let reads_netplan = |r: &Reader| r.tool == "n3x-netplan" || (r.tool == "n3x-inventory" && r.args[0] == "check");
    let (netplan_readers, others): (Vec<Reader>, Vec<Reader>) =
        INVENTORY_READERS.iter().partition(|r| reads_netplan(r));
    let mut checked = injection_refused(&netplan_readers, &embedded, &["search", "DNS name"]);
    for r in &others {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, &embedded), s.dir.path(), Stdin::Null);
        assert_bounded(&o);
        assert_nothing_planted(&o.label, "<stdout>", &String::from_utf8_lossy(&o.stdout));
        for f in s.written() {
            assert_nothing_planted(&o.label, &f.display().to_string(), &std::fs::read_to_string(&f).unwrap());
        }
        checked += 1;
    }
    assert_eq!(netplan_readers.len(), 4, "check, and n3x-netplan plan, render and check");
    checked +=
        injection_refused(NETPLAN_READERS, &corpus("netplan-newline-in-search-domain.yaml"), &["search", "domain"]);
    assert_eq!(checked, INVENTORY_READERS.len() + NETPLAN_READERS.len());
}

#[test]
fn newline_in_cluster_domain_is_refused_by_every_reader() {
    let checked = injection_refused(INVENTORY_READERS, &corpus("newline-in-cluster-domain.yaml"), &["domain"]);
    assert_eq!(checked, INVENTORY_READERS.len());
}

#[test]
fn newline_in_node_name_is_refused_by_every_reader() {
    let checked = injection_refused(INVENTORY_READERS, &corpus("newline-in-node-name.yaml"), &["node name"]);
    assert_eq!(checked, INVENTORY_READERS.len());
}

/// Every renderer that names its input file in a header comment, writing into `OUT`
/// (or onto stdout).
const HEADER_RENDERERS: &[Reader] = &[
    Reader { tool: "n3x-inventory", args: &["render-flake", IN, "--out", OUT] },
    Reader { tool: "n3x-disko", args: &["render", IN, "--out", OUT] },
    Reader { tool: "n3x-disko", args: &["render", IN] },
    Reader { tool: "n3x-netplan", args: &["render", IN, "--format", "networkd", "--out", OUT] },
    Reader { tool: "n3x-netplan", args: &["render", IN, "--format", "networkd"] },
    Reader { tool: "n3x-netplan", args: &["render", IN, "--format", "nix", "--out", OUT] },
    Reader { tool: "n3x-netplan", args: &["render", IN, "--format", "netplan", "--out", OUT] },
    Reader { tool: "n3x-kube-bootstrap", args: &["render", IN] },
    Reader { tool: "n3x-kube-bootstrap", args: &["render", IN, "--format", "dir", "--out", OUT] },
    Reader { tool: "n3x-kube-bootstrap", args: &["render", IN, "--format", "nix", "--out", OUT] },
];

#[test]
fn newline_in_input_file_name_cannot_inject_header_lines() {
    // A file named "x\n[Injected]\nDNS=6.6.6.6\n….yaml" wrote live lines into the header
    // comments of Nix, YAML and networkd output. The name is a legal file name: a tool
    // may refuse it (exit 1, naming it) or render it, but never as lines of their own.
    let nix = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE);
    let name = "x\n[Injected]\nDNS=6.6.6.6\n[Network]\nGateway=6.6.6.6\n.yaml";
    let (_d, input) = temp_input(name, &std::fs::read(corpus("valid-inventory.yaml")).unwrap());
    let (mut checked, mut files, mut parsed) = (0, 0, 0);
    for r in HEADER_RENDERERS {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, &input), s.dir.path(), Stdin::Null);
        assert_bounded(&o);
        assert_nothing_planted(&o.label, "<stdout>", &String::from_utf8_lossy(&o.stdout));
        for f in s.written() {
            let text = std::fs::read_to_string(&f).unwrap();
            assert_nothing_planted(&o.label, &f.display().to_string(), &text);
            if f.extension().is_some_and(|e| e == "nix") {
                if let Some(nix) = &nix {
                    n3x_testkit::nix_parse(nix, &f);
                    parsed += 1;
                }
            }
            files += 1;
        }
        if o.code != Some(0) {
            assert_refused(&o, &["file name", "newline", "line break"]);
        }
        checked += 1;
    }
    assert_eq!(checked, HEADER_RENDERERS.len());
    eprintln!("checked {checked} renderers, {files} files, {parsed} parsed by nix-instantiate");
}

// ---------------------------------------------------------------------------
// Numbers out of range

#[test]
fn swap_u64_max_no_longer_drops_the_swap_partition() {
    // `swap: 18446744073709551615` silently dropped the swap partition and exited 0.
    let checked = refused_by_all(INVENTORY_READERS, &corpus("swap-u64-max.yaml"), &["swap"]);
    assert_eq!(checked, INVENTORY_READERS.len());
}

#[test]
fn byte_size_overflow_is_refused_by_every_reader() {
    let cases: &[(&str, &str)] = &[
        ("disk-size-u64-max.yaml", "disk.size"),
        ("disk-size-overflows-unit.yaml", "disk.size"),
        ("memory-overflows-unit.yaml", "memory"),
        ("longhorn-min-size-u64-max.yaml", "longhornMinSize"),
    ];
    let mut checked = 0;
    for (f, field) in cases {
        checked += refused_by_all(INVENTORY_READERS, &corpus(f), &[field]);
    }
    let disko: Vec<Reader> = INVENTORY_READERS.iter().copied().filter(|r| r.tool == "n3x-disko").collect();
    checked += refused_by_all(&disko, &corpus("diskspec-size-u64-max.yaml"), &["size", "swap", "memory"]);
    assert_eq!(checked, cases.len() * INVENTORY_READERS.len() + disko.len());
}

// ---------------------------------------------------------------------------
// Structure

#[test]
fn duplicate_keys_are_refused_by_every_reader() {
    let mut checked = refused_by_all(INVENTORY_READERS, &corpus("duplicate-keys.yaml"), &["duplicate key"]);
    checked += refused_by_all(SECRET_READERS, &corpus("secret-duplicate-keys.yaml"), &["duplicate"]);
    assert_eq!(checked, INVENTORY_READERS.len() + SECRET_READERS.len());
}

#[test]
fn multi_document_stream_is_refused_by_every_reader() {
    let checked = refused_by_all(INVENTORY_READERS, &corpus("multi-document.yaml"), &["one document"]);
    assert_eq!(checked, INVENTORY_READERS.len());
}

// ---------------------------------------------------------------------------
// The harness itself

#[test]
fn the_valid_control_input_is_accepted_by_every_reader() {
    // Without this, a wrong argument list would make every refusal above pass.
    let mut checked = 0;
    for r in INVENTORY_READERS {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, &corpus("valid-inventory.yaml")), s.dir.path(), Stdin::Null);
        assert_bounded(&o);
        assert_eq!(o.code, Some(0), "{}: {}", o.label, o.stderr);
        checked += 1;
    }
    // The same on standard input (`-`), as the stdin cases feed it.
    let valid = std::fs::read(corpus("valid-inventory.yaml")).unwrap();
    for r in INVENTORY_READERS {
        let s = Scratch::new();
        let stdin = Stdin::Stream { head: valid.clone(), fill: b"\n".to_vec(), total: valid.len() as u64 + 3 };
        let o = run(r.tool, &s.args(r, Path::new("-")), s.dir.path(), stdin);
        assert_bounded(&o);
        assert_eq!(o.code, Some(0), "{}: {}", o.label, o.stderr);
        checked += 1;
    }
    let netplan = "network:\n  version: 2\n  ethernets:\n    eno1:\n      addresses: [192.168.10.11/24]\n";
    let (_d, np) = temp_input("lab.yaml", netplan.as_bytes());
    for r in NETPLAN_READERS {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, &np), s.dir.path(), Stdin::Null);
        assert_bounded(&o);
        assert_eq!(o.code, Some(0), "{}: {}", o.label, o.stderr);
        checked += 1;
    }
    // encrypt accepts a plain secret; decrypt then refuses it as "not encrypted" (exit 1),
    // which proves it got as far as reading the file.
    let (_e, secret) = temp_input("secret.yaml", b"password: hunter2\n");
    for r in SECRET_READERS {
        let s = Scratch::new();
        let o = run(r.tool, &s.args(r, &secret), s.dir.path(), Stdin::Null);
        assert_bounded(&o);
        if r.args[0] == "encrypt" {
            assert_eq!(o.code, Some(0), "{}: {}", o.label, o.stderr);
            assert!(String::from_utf8_lossy(&o.stdout).contains("ENC[AES256_GCM,"), "{}", o.label);
        } else {
            assert_refused(&o, &["not encrypted"]);
        }
        checked += 1;
    }
    // The limits themselves: the wrapper really sets the address-space limit.
    let s = Scratch::new();
    let o = run_program(Path::new("/bin/sh"), &["-c".into(), "ulimit -v".into()], s.dir.path(), Stdin::Null);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), MEMORY_KIB.to_string(), "{}: {}", o.label, o.stderr);
    checked += 1;
    assert_eq!(checked, 2 * INVENTORY_READERS.len() + NETPLAN_READERS.len() + SECRET_READERS.len() + 1);
}

// ---------------------------------------------------------------------------
// Facts documents (what `probe` wrote; a probed machine controls their text)

/// `normalize` and `check` of a valid inventory with a hostile Facts file: every one is
/// refused with exit 1, a message naming the problem and nothing on stdout. The facts
/// are deep (10^5 nested arrays), larger than the input cap (64 MiB), or carry a host
/// key with a line break in it.
#[test]
fn hostile_facts_are_refused_by_normalize_and_check() {
    let inventory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../n3x-inventory/tests/bad/facts-contradict-arch.yaml");
    let mut deep = String::from(r#"{"apiVersion": "n3x.dev/v1alpha1", "kind": "Facts", "node": "s1", "x": "#);
    deep.push_str(&"[".repeat(100_000));
    let mut big = String::from(r#"{"apiVersion": "n3x.dev/v1alpha1", "kind": "Facts", "node": "s1", "x": ""#);
    big.push_str(&"a".repeat(65 << 20));
    big.push_str("\"}");
    let key = r#"{"apiVersion": "n3x.dev/v1alpha1", "kind": "Facts", "node": "s1", "hostname": "s1", "arch": "x86_64", "memory": 17179869184,
        "disks": [{"name": "nvme0n1", "path": "/dev/nvme0n1", "byId": ["/dev/disk/by-id/nvme-s1"], "size": 512110190592}],
        "nics": [{"name": "enp1s0", "mac": "3c:ec:ef:00:00:01"}],
        "hostKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs\n[Network]\nAddress=6.6.6.6/32"]}"#;
    let cases: [(&str, &[u8], &[&str]); 3] = [
        ("deep.json", deep.as_bytes(), &["depth", "deep", "nest", "recursion"]),
        ("big.json", big.as_bytes(), SIZE_CAP),
        ("host-key.json", key.as_bytes(), &["host key"]),
    ];
    let mut checked = 0;
    for (name, bytes, names) in cases {
        let (_d, facts) = temp_input(name, bytes);
        for cmd in ["normalize", "check"] {
            let s = Scratch::new();
            let args: Vec<OsString> =
                vec![cmd.into(), inventory.clone().into_os_string(), "--facts".into(), facts.clone().into_os_string()];
            let o = run("n3x-inventory", &args, s.dir.path(), Stdin::Null);
            assert_refused(&o, names);
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}
