//! Running a plan's steps: local programs (exact argv, no shell), node programs over the
//! SSH seam (argv quoted by [`crate::shell::join`]), and `@name@` substitution of earlier
//! outputs. Output of every program goes to the node's log.

use std::collections::BTreeMap;

use n3x_core::rollout::Step;
use n3x_inventory::probe::Remote;

use crate::report::Recorder;

/// Outputs of earlier steps by name (`toplevel`, `previous`).
pub type Outputs = BTreeMap<String, String>;

/// The argv with every `@name@` argument replaced by that output; an unknown name is an error.
pub fn substitute(argv: &[String], outputs: &Outputs) -> Result<Vec<String>, String> {
    argv.iter()
        .map(|a| match a.strip_prefix('@').and_then(|r| r.strip_suffix('@')).filter(|n| !n.is_empty()) {
            Some(name) => outputs.get(name).cloned().ok_or_else(|| format!("no earlier step printed @{name}@")),
            None => Ok(a.clone()),
        })
        .collect()
}

/// A step as one shell-quoted line, with its environment (for --dry-run and logs).
pub fn display(step: &Step) -> String {
    let env: Vec<String> = step.env.iter().map(|(k, v)| format!("{k}={}", crate::shell::quote(v))).collect();
    let mut parts = env;
    parts.push(crate::shell::join(&step.argv));
    parts.join(" ")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join(" | ")
}

/// Runs a local step; returns its trimmed standard output.
pub fn run_local(step: &Step, outputs: &Outputs, node: &str, rec: &mut Recorder) -> Result<String, String> {
    let argv = substitute(&step.argv, outputs)?;
    let (prog, args) = argv.split_first().ok_or("empty argument list")?;
    rec.log(node, &format!("$ {}", crate::shell::join(&argv)));
    let out = std::process::Command::new(prog)
        .args(args)
        .envs(&step.env)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
        format!("cannot run {prog}: {} (is it installed and on PATH?)", n3x_core::io::describe_io(&e))
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for l in stdout.lines().chain(stderr.lines()) {
        rec.log(node, l);
    }
    if !out.status.success() {
        let code = out.status.code().map(|c| c.to_string()).unwrap_or_else(|| "a signal".into());
        return Err(format!("`{prog}` ({}) exited with {code}: {}", step.name, tail(&stderr, 5)));
    }
    Ok(stdout.trim().to_string())
}

/// Runs a node step over an open session; returns its trimmed standard output.
pub fn run_node(
    step: &Step,
    outputs: &Outputs,
    node: &str,
    remote: &mut dyn Remote,
    rec: &mut Recorder,
) -> Result<String, String> {
    let argv = substitute(&step.argv, outputs)?;
    let line = crate::shell::join(&argv);
    rec.log(node, &format!("{node}$ {line}"));
    let out = remote.run(&line).map_err(|e| format!("`{}` ({}) on {node}: {e}", argv[0], step.name))?;
    for l in out.lines() {
        rec.log(node, l);
    }
    Ok(out.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_whole_arguments_only() {
        let mut o = Outputs::new();
        o.insert("toplevel".into(), "/nix/store/abc-nixos-system".into());
        let argv: Vec<String> =
            ["nix", "copy", "@toplevel@", "x@toplevel@", "@@"].iter().map(|s| s.to_string()).collect();
        assert_eq!(substitute(&argv, &o).unwrap(), ["nix", "copy", "/nix/store/abc-nixos-system", "x@toplevel@", "@@"]);
        assert!(substitute(&["@previous@".to_string()], &o).unwrap_err().contains("@previous@"));
    }
}
