//! The one quoting function for POSIX `sh`: SSH runs a command line through the
//! remote user's shell, so every argument of a node-side argv goes through [`quote`].

/// Quotes one argument for `sh`: unchanged when it is made only of safe characters,
/// else in single quotes with each `'` written as `'\''`. A newline stays inside the
/// quotes, so it can never start a new command.
pub fn quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        return arg.to_string();
    }
    format!("'{}'", arg.replace('\'', "'\\''"))
}

/// An argv as one `sh` command line.
pub fn join(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_sh_would_split_or_expand() {
        assert_eq!(quote("/run/current-system"), "/run/current-system");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("$(reboot)\nx"), "'$(reboot)\nx'");
        // Checked by the real sh: the words come back unchanged.
        let args: Vec<String> = ["a b", "it's", "$HOME", "x\ny", "*", ""].iter().map(|s| s.to_string()).collect();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {}", join(&args)))
            .output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        let got: Vec<String> =
            String::from_utf8_lossy(&out.stdout).split('\0').filter(|_| true).map(str::to_string).collect();
        assert_eq!(&got[..args.len()], &args[..]);
        assert_eq!(got.len(), args.len() + 1, "one trailing empty piece after the last NUL");
    }
}
