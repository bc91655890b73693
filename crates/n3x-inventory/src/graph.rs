//! The topology picture: nodes grouped by role with their addresses on each
//! network, the load-balancer pools, and the enabled add-ons in apply order.
//! Mermaid for Markdown pages, Graphviz dot for everything else.

use n3x_core::cluster::Cluster;
use n3x_core::model::Role;

/// Output form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Mermaid flowchart.
    Mermaid,
    /// Graphviz dot.
    Dot,
}

/// Graph element ids: letters, digits and `_` only, prefixed by what they are.
fn id(prefix: &str, name: &str) -> String {
    let clean: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("{prefix}_{clean}")
}

/// Escapes a label for the chosen format.
fn label(format: GraphFormat, s: &str) -> String {
    match format {
        GraphFormat::Mermaid => s.replace('"', "#quot;"),
        GraphFormat::Dot => s.replace('\\', "\\\\").replace('"', "\\\""),
    }
}

/// The enabled add-ons in the order they are applied.
pub fn enabled_addons(c: &Cluster) -> Vec<&'static str> {
    let a = &c.addons;
    let mut out = Vec::new();
    if a.kyverno.enabled == Some(true) {
        out.push("kyverno");
    }
    if a.longhorn.enabled {
        out.push("longhorn");
    }
    if a.multus.enabled {
        out.push("multus");
    }
    if a.metallb.enabled {
        out.push("metallb");
    }
    if a.cert_manager.enabled {
        out.push("cert-manager");
    }
    if a.traefik.enabled {
        out.push("traefik");
    }
    if a.nvidia_device_plugin.enabled == Some(true) {
        out.push("nvidia-device-plugin");
    }
    if a.argocd.enabled {
        out.push("argocd");
    }
    out
}

/// Renders the picture.
pub fn render(c: &Cluster, format: GraphFormat) -> String {
    let mut out = String::new();
    let l = |s: &str| label(format, s);
    match format {
        GraphFormat::Mermaid => out.push_str(&format!("%% {} topology (n3x-inventory graph)\nflowchart LR\n", c.name)),
        GraphFormat::Dot => out.push_str(&format!(
            "// {} topology (n3x-inventory graph)\ndigraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n",
            c.name,
            l(c.name.as_str())
        )),
    }
    for (role, title) in [(Role::Server, "servers"), (Role::Agent, "agents")] {
        let members: Vec<_> = c.nodes.iter().filter(|n| n.role == role).collect();
        if members.is_empty() {
            continue;
        }
        let gid = id("group", title);
        match format {
            GraphFormat::Mermaid => out.push_str(&format!("  subgraph {gid}[\"{title}\"]\n")),
            GraphFormat::Dot => out.push_str(&format!("  subgraph cluster_{gid} {{\n    label=\"{title}\";\n")),
        }
        for n in members {
            let mut text = format!("{} · {}", n.name, n.hardware.as_str());
            if n.cluster_init {
                text.push_str(" · init");
            }
            let nid = id("node", n.name.as_str());
            match format {
                GraphFormat::Mermaid => out.push_str(&format!("    {nid}[\"{}\"]\n", l(&text))),
                GraphFormat::Dot => out.push_str(&format!("    {nid} [label=\"{}\"];\n", l(&text))),
            }
        }
        out.push_str(match format {
            GraphFormat::Mermaid => "  end\n",
            GraphFormat::Dot => "  }\n",
        });
    }
    for (name, net) in &c.networks {
        let text = match net.vlan {
            Some(v) => format!("{name} {} (VLAN {v})", net.cidr),
            None => format!("{name} {}", net.cidr),
        };
        let nid = id("net", name);
        match format {
            GraphFormat::Mermaid => out.push_str(&format!("  {nid}([\"{}\"])\n", l(&text))),
            GraphFormat::Dot => out.push_str(&format!("  {nid} [shape=ellipse, label=\"{}\"];\n", l(&text))),
        }
    }
    for n in &c.nodes {
        for a in &n.network.attachments {
            let addr = a.address.map_or_else(|| "dhcp".to_string(), |x| x.addr().to_string());
            let text = format!("{} {addr}", a.interface);
            let (from, to) = (id("node", n.name.as_str()), id("net", &a.network));
            match format {
                GraphFormat::Mermaid => out.push_str(&format!("  {from} -- \"{}\" --- {to}\n", l(&text))),
                GraphFormat::Dot => out.push_str(&format!("  {from} -> {to} [dir=none, label=\"{}\"];\n", l(&text))),
            }
        }
    }
    for p in &c.pools {
        let ranges: Vec<String> = p.addresses.iter().map(ToString::to_string).collect();
        let text = format!("pool {}: {}", p.name, ranges.join(", "));
        let (pid, nid) = (id("pool", p.name.as_str()), id("net", &p.network));
        match format {
            GraphFormat::Mermaid => out.push_str(&format!("  {pid}[/\"{}\"/]\n  {pid} -.- {nid}\n", l(&text))),
            GraphFormat::Dot => out.push_str(&format!(
                "  {pid} [shape=parallelogram, label=\"{}\"];\n  {pid} -> {nid} [dir=none, style=dashed];\n",
                l(&text)
            )),
        }
    }
    let addons = enabled_addons(c);
    if !addons.is_empty() {
        match format {
            GraphFormat::Mermaid => {
                out.push_str("  subgraph group_addons[\"add-ons (apply order)\"]\n    direction TB\n")
            }
            GraphFormat::Dot => out.push_str("  subgraph cluster_addons {\n    label=\"add-ons (apply order)\";\n"),
        }
        for a in &addons {
            let aid = id("addon", a);
            match format {
                GraphFormat::Mermaid => out.push_str(&format!("    {aid}[\"{a}\"]\n")),
                GraphFormat::Dot => out.push_str(&format!("    {aid} [label=\"{a}\", shape=component];\n")),
            }
        }
        // `windows(2)` yields slices of exactly two, so `pair[0]`/`pair[1]` cannot fail.
        for pair in addons.windows(2) {
            let (x, y) = (id("addon", pair[0]), id("addon", pair[1]));
            match format {
                GraphFormat::Mermaid => out.push_str(&format!("    {x} --> {y}\n")),
                GraphFormat::Dot => out.push_str(&format!("    {x} -> {y};\n")),
            }
        }
        out.push_str(match format {
            GraphFormat::Mermaid => "  end\n",
            GraphFormat::Dot => "  }\n",
        });
    }
    if format == GraphFormat::Dot {
        out.push_str("}\n");
    }
    out
}
