//! `host-key` against a real sshd that this test starts on 127.0.0.1 on a free port,
//! with its own config and host key in a temp folder (never the system sshd), plus
//! the failure cases: refused connection, known_hosts mismatch, a silent listener.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{fails, ok, Sandbox};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn host_key_from_real_sshd() {
    let s = Sandbox::new();
    // A real sshd on 127.0.0.1 with its own config and host key (n3x_testkit::Sshd).
    let Some(sshd) = n3x_testkit::Sshd::start() else { return };
    let public = sshd.host_key.clone();
    let target = format!("127.0.0.1:{}", sshd.port);
    let out = ok(s.n3x().args(["host-key", &target]).output().unwrap(), "host-key");
    let mut lines = out.lines();
    let line = lines.next().unwrap();
    let blob = public.split_whitespace().nth(1).unwrap();
    assert_eq!(line, format!("ssh-ed25519 {blob}"));
    let r = ok(
        s.n3x().arg("ssh-to-age").arg(sshd.dir.path().join("ssh_host_ed25519_key.pub")).output().unwrap(),
        "ssh-to-age",
    );
    assert_eq!(lines.next().unwrap(), r.trim());

    // known_hosts: a match passes, a different key is a loud failure.
    let kh = s.write("known_hosts", &format!("[127.0.0.1]:{} ssh-ed25519 {blob}\n", sshd.port));
    let o = s.n3x().args(["host-key", &target, "--known-hosts"]).arg(&kh).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("matches"));
    let other = "AAAAC3NzaC1lZDI1NTE5AAAAIIm1z3Yvch4wnwbQYFf6tnwlqvNXj3vWtoxOMEkx75+e";
    let bad = s.write("known_hosts_bad", &format!("[127.0.0.1]:{} ssh-ed25519 {other}\n", sshd.port));
    let o = s.n3x().args(["host-key", &target, "--known-hosts"]).arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("HOST KEY MISMATCH"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty());
    let none = s.write(
        "known_hosts_none",
        "[10.9.9.9]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIm1z3Yvch4wnwbQYFf6tnwlqvNXj3vWtoxOMEkx75+e\n",
    );
    let err = fails(s.n3x().args(["host-key", &target, "--known-hosts"]).arg(&none).output().unwrap(), "not found");
    assert!(err.contains("no entry for this host"), "{err}");
}

#[test]
fn host_key_refused_and_silent() {
    let s = Sandbox::new();
    // Nothing listens on a just-freed port.
    let port = free_port();
    let err =
        fails(s.n3x().args(["host-key", &format!("127.0.0.1:{port}"), "--timeout", "3"]).output().unwrap(), "refused");
    assert!(err.contains("connection refused"), "{err}");
    // A listener that accepts and never says anything: a clean timeout.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let conn = l.accept().map(|(c, _)| c);
        std::thread::sleep(Duration::from_secs(4));
        drop(conn);
    });
    let start = Instant::now();
    let o = s.n3x().args(["host-key", &format!("127.0.0.1:{port}"), "--timeout", "1"]).output().unwrap();
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("SSH handshake failed") && err.contains("did not answer within 1s"), "{err}");
    assert!(took < Duration::from_secs(4), "timed out cleanly in {took:?}");
    holder.join().unwrap();
    // Bad targets are usage errors.
    let o = s.n3x().args(["host-key", "127.0.0.1:notaport"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}
