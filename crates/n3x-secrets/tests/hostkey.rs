//! `host-key` against a real sshd that this test starts on 127.0.0.1 on a free port,
//! with its own config and host key in a temp folder (never the system sshd), plus
//! the failure cases: refused connection, known_hosts mismatch, a silent listener.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{fails, ok, Sandbox};

struct Sshd {
    child: Child,
    port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_sshd(s: &Sandbox) -> Option<(Sshd, String)> {
    let sshd = n3x_testkit::require(n3x_testkit::SSHD)?;
    let keygen = n3x_testkit::require(n3x_testkit::SSH_KEYGEN)?;
    let key = s.path("sshd/ssh_host_ed25519_key");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    ok(Command::new(keygen).args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).output().unwrap(), "ssh-keygen");
    // sshd refuses to start without its privilege separation folder.
    let _ = std::fs::create_dir_all("/run/sshd");
    for _ in 0..5 {
        let port = free_port();
        let cfg = s.write(
            "sshd/sshd_config",
            &format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAuthorizedKeysFile none\nLogLevel ERROR\n",
                key.display(),
                s.path("sshd/sshd.pid").display()
            ),
        );
        let child = Command::new(&sshd)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut d = Sshd { child, port };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some((d, std::fs::read_to_string(key.with_extension("pub")).unwrap()));
            }
            if let Ok(Some(_)) = d.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(d);
    }
    panic!("sshd did not start on 127.0.0.1");
}

#[test]
fn host_key_from_real_sshd() {
    let s = Sandbox::new();
    let Some((sshd, public)) = start_sshd(&s) else { return };
    let target = format!("127.0.0.1:{}", sshd.port);
    let out = ok(s.n3x().args(["host-key", &target]).output().unwrap(), "host-key");
    let mut lines = out.lines();
    let line = lines.next().unwrap();
    let blob = public.split_whitespace().nth(1).unwrap();
    assert_eq!(line, format!("ssh-ed25519 {blob}"));
    let r = ok(s.n3x().arg("ssh-to-age").arg(s.path("sshd/ssh_host_ed25519_key.pub")).output().unwrap(), "ssh-to-age");
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
