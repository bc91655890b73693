//! `lint`: finds secrets written in plaintext where they do not belong (in any file, read
//! by content: private keys, age identities, k3s tokens, secret-looking assignments) and
//! files a `.sops.yaml` rule covers that are not encrypted or lack its recipients.
//! Findings name file and line and the kind of secret, never the secret itself.
//! A line carrying `n3x-secrets: allow` (or preceded by a line that does) is skipped.

use std::sync::OnceLock;

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// File name as given.
    pub file: String,
    /// 1-based line (0 for the whole file).
    pub line: usize,
    /// What was found and what to do.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// The comment that silences a reviewed line.
pub const ALLOW: &str = "n3x-secrets: allow";

struct Patterns {
    assign: regex::Regex,
    k3s_token: regex::Regex,
    k3s_secure_token: regex::Regex,
    pem: regex::Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(Patterns {
            // name = "value" (Nix), name: value (YAML), NAME=value (env), "name": "value" (JSON)
            assign: regex::Regex::new(
                r#"(?im)^\s*(?:export\s+)?"?([A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_-]*)"?\s*(?:=|:)\s*(?:"([^"]*)"|'([^']*)'|([^\s#;,]+))"#,
            )
            .ok()?,
            k3s_token: regex::Regex::new(r#"services\.k3s\.(?:token|agentToken)\s*=\s*""#).ok()?,
            pem: regex::Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----").ok()?,
            // k3s's full token (`K10<CA hash>::server:<secret>`), as /var/lib/rancher/k3s/server/token holds it.
            k3s_secure_token: regex::Regex::new(r"K10[0-9a-f]{64}::[a-z]+:[0-9A-Za-z]+").ok()?,
        })
    })
    .as_ref()
}

fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn looks_like_reference(v: &str) -> bool {
    v.is_empty()
        || v.starts_with("ENC[")
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("${")
        || v.starts_with("config.")
        || v.starts_with('<')
        || v.starts_with('$')
        || matches!(v.to_ascii_lowercase().as_str(), "null" | "true" | "false" | "~" | "changeme" | "none")
        || v.ends_with(".path")
        || v.ends_with("File")
}

/// Checks one file's text. `is_sops` files (with sops metadata) are skipped: their
/// values are ciphertext.
pub fn check_text(file: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(p) = patterns() else { return out };
    let encrypted = text.contains("ENC[AES256_GCM,") && (text.contains("\nsops:") || text.contains("\"sops\":"));
    // Each pattern runs once over the whole text (a fleet render lints thousands of files,
    // and one regex call per line per pattern was most of lint's CPU time); only the lines
    // a match touches get the line-by-line rules below. A match may span lines (`\s*`
    // crosses a line break), so every line it touches is a candidate: no line whose own
    // text matches can hide inside another line's match.
    let mut spans: Vec<(usize, usize)> =
        text.match_indices("AGE-SECRET-KEY-1").map(|(i, m)| (i, i + m.len())).collect();
    let mut add = |re: &regex::Regex| spans.extend(re.find_iter(text).map(|m| (m.start(), m.end())));
    add(&p.pem);
    add(&p.k3s_secure_token);
    if !encrypted {
        add(&p.k3s_token);
        add(&p.assign);
    }
    if spans.is_empty() {
        return out;
    }
    let breaks: Vec<usize> = text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i).collect();
    let line_of = |offset: usize| breaks.partition_point(|&b| b < offset);
    let mut candidates: Vec<usize> = Vec::new();
    for (start, end) in spans {
        let (first, last) = (line_of(start), line_of(end.saturating_sub(1).max(start)));
        candidates.extend(first..=last);
    }
    candidates.sort_unstable();
    candidates.dedup();
    let lines: Vec<&str> = text.lines().collect();
    for i in candidates {
        let Some(line) = lines.get(i) else { continue };
        if line.contains(ALLOW) || (i > 0 && lines[i - 1].contains(ALLOW)) {
            continue;
        }
        if let Some(message) = check_line(p, line, encrypted) {
            out.push(Finding { file: file.into(), line: i + 1, message });
        }
    }
    out
}

/// The rules for one line, most specific first; `None` when the line is fine.
fn check_line(p: &Patterns, line: &str, encrypted: bool) -> Option<String> {
    if line.contains("AGE-SECRET-KEY-1") {
        return Some("an age secret key (AGE-SECRET-KEY-1…) in plaintext: move it out of the repository".into());
    }
    if p.pem.is_match(line) {
        return Some("a PEM/OpenSSH private key in plaintext: move it out of the repository".into());
    }
    if p.k3s_secure_token.is_match(line) {
        return Some("a k3s token (K10…::…) in plaintext: keep it in a sops-encrypted file".into());
    }
    if encrypted {
        return None;
    }
    if p.k3s_token.is_match(line) {
        return Some("services.k3s token inlined into Nix (it lands in the world-readable Nix store): use tokenFile = config.sops.secrets.<name>.path".into());
    }
    let c = p.assign.captures(line)?;
    let name = c.get(1).map(|m| m.as_str()).unwrap_or("");
    let value = c.get(2).or(c.get(3)).or(c.get(4)).map(|m| m.as_str()).unwrap_or("");
    let lname = name.to_ascii_lowercase();
    if looks_like_reference(value) || lname.ends_with("file") || lname.ends_with("path") || lname.ends_with("files") {
        return None;
    }
    let password_like = lname.contains("password") || lname.contains("passwd");
    let random_like = value.chars().count() >= 16 && entropy(value) >= 3.5;
    (password_like || random_like).then(|| {
        format!(
            "{name} holds what looks like a plaintext secret: encrypt it with sops (n3x-secrets set) and reference it by path; add `# {ALLOW}` if reviewed"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_allows() {
        let t = "services.k3s.token = \"abc\";\npassword = \"hunter2\";\ntokenFile = config.sops.secrets.k3s-token.path;\napi_key: Zx8Qp2Lr7Vt9Wm4Kc6Ys1Hb3\nname: plain\n# n3x-secrets: allow\npassword: reviewed\nk: AGE-SECRET-KEY-1QQQ\nK1000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff::server:abcdef0123\n";
        let f = check_text("x.nix", t);
        let lines: Vec<usize> = f.iter().map(|f| f.line).collect();
        assert_eq!(lines, vec![1, 2, 4, 8, 9]);
        assert!(!f.iter().any(|f| f.message.contains("hunter2")));
    }

    /// The line-by-line rules applied to every line, as lint worked before it searched
    /// whole texts: the whole-text search must find exactly the same.
    fn every_line(file: &str, text: &str) -> Vec<Finding> {
        let p = patterns().unwrap();
        let encrypted = text.contains("ENC[AES256_GCM,") && (text.contains("\nsops:") || text.contains("\"sops\":"));
        let lines: Vec<&str> = text.lines().collect();
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.contains(ALLOW) || (i > 0 && lines[i - 1].contains(ALLOW)) {
                continue;
            }
            if let Some(message) = check_line(p, line, encrypted) {
                out.push(Finding { file: file.into(), line: i + 1, message });
            }
        }
        out
    }

    #[test]
    fn the_whole_text_search_finds_what_every_line_finds() {
        let texts = [
            "services.k3s.token = \"abc\";\npassword = \"hunter2\";\n",
            // a match of `^\s*` that runs over blank lines into a real one
            "\n\n   \n  password: hunter2hunter2\n\n",
            "password\n: notonthisline\ntoken:\n  Zx8Qp2Lr7Vt9Wm4Kc6Ys1Hb3\n",
            "a: 1\r\npassword: hunter2\r\n\r\napi_key: Zx8Qp2Lr7Vt9Wm4Kc6Ys1Hb3\r\n",
            "# n3x-secrets: allow\npassword: x\npassword: y\n",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----",
            "x: AGE-SECRET-KEY-1QQQ AGE-SECRET-KEY-1RRR\ny: AGE-SECRET-KEY-1",
            "services.k3s.token =\n  \"abc\";\nsecret_value = 'Zx8Qp2Lr7Vt9Wm4Kc6Ys1Hb3'",
            "a: ENC[AES256_GCM,data:x]\nsops:\n  password: hunter2\nk: AGE-SECRET-KEY-1Q\n",
            "no secrets here\n",
            "",
        ];
        for t in texts {
            assert_eq!(check_text("f", t), every_line("f", t), "{t:?}");
        }
    }
}
