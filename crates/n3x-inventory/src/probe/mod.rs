//! `probe`: ask a live machine what it is (architecture, memory, disks with their
//! stable by-id paths, NICs with permanent MACs, host keys) and answer with a `Facts`
//! document that `normalize --facts` merges into the cluster.
//!
//! The commands go through the [`Remote`] seam; parsing their output is pure and
//! tested on fixed text. The SSH implementation is in [`ssh`].

pub mod ssh;

use n3x_core::facts::{FactDisk, FactNic, Facts};
use n3x_core::units::NodeName;
use serde_json::Value;

/// Runs commands on a machine.
pub trait Remote {
    /// Runs a shell command and returns its standard output, or why it failed.
    fn run(&mut self, command: &str) -> Result<String, String>;
    /// The host key the connection verified, as an OpenSSH public key line, if any.
    fn host_key(&self) -> Option<String>;
}

/// The commands a probe runs, in order (also listed in `--help`).
pub const COMMANDS: &[(&str, &str)] = &[
    ("hostname", "uname -n"),
    ("arch", "uname -m"),
    ("memory", "cat /proc/meminfo"),
    ("disks", "lsblk -J -b -d -o NAME,PATH,SIZE,MODEL,SERIAL,ROTA,RM,TYPE"),
    ("by-id", "for l in /dev/disk/by-id/*; do [ -e \"$l\" ] && printf '%s %s\\n' \"$l\" \"$(readlink -f \"$l\")\"; done; true"),
    ("nics", "ip -j addr show"),
    ("host keys", "cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null; true"),
];

/// Gathers the facts of `node` through `remote`.
pub fn gather(node: &NodeName, remote: &mut dyn Remote) -> Result<Facts, String> {
    let mut out = Vec::new();
    for (what, cmd) in COMMANDS {
        out.push(remote.run(cmd).map_err(|e| format!("{what} (`{cmd}`): {e}"))?);
    }
    // `out` holds exactly one entry per COMMANDS line (the loop above either pushes all
    // seven or returns early), so the indexing below cannot fail.
    let arch = out[1].trim().to_string();
    let mut host_keys: Vec<String> = remote.host_key().into_iter().collect();
    for line in out[6].lines().map(str::trim).filter(|l| !l.is_empty()) {
        let key = line.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
        if !host_keys.iter().any(|k| k == &key) {
            host_keys.push(key);
        }
    }
    Ok(Facts {
        api_version: n3x_core::API_VERSION.into(),
        kind: "Facts".into(),
        node: node.clone(),
        hostname: out[0].trim().to_string(),
        arch: if arch.is_empty() { return Err("uname -m printed nothing".into()) } else { arch },
        memory: parse_meminfo(&out[2])?,
        disks: parse_lsblk(&out[3], &parse_by_id(&out[4]))?,
        nics: parse_ip_addr(&out[5])?,
        host_keys,
    })
}

/// `MemTotal` from /proc/meminfo, in bytes.
pub fn parse_meminfo(text: &str) -> Result<u64, String> {
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            let mut parts = rest.split_whitespace();
            let n: u64 = parts.next()?.parse().ok()?;
            match parts.next() {
                Some("kB") | None => n.checked_mul(1024),
                _ => None,
            }
        })
        .ok_or_else(|| "no MemTotal line in /proc/meminfo".to_string())
}

/// `by-id path → resolved device` pairs.
pub fn parse_by_id(text: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .filter(|(a, b)| a.starts_with("/dev/disk/by-id/") && b.starts_with("/dev/"))
        .collect();
    pairs.sort();
    pairs
}

fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn as_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s == "1" || s == "true",
        Value::Number(n) => n.as_u64() == Some(1),
        _ => false,
    }
}

fn as_text(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Whole disks from `lsblk -J -b -d`, each with its by-id paths (stable order:
/// `wwn-`/`nvme-eui.` ids last, since a model+serial id is the one people recognise).
pub fn parse_lsblk(text: &str, by_id: &[(String, String)]) -> Result<Vec<FactDisk>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("lsblk printed no JSON ({e})"))?;
    let devices = v.get("blockdevices").and_then(Value::as_array).ok_or("lsblk JSON has no blockdevices")?;
    let mut disks = Vec::new();
    for d in devices {
        if d.get("type").and_then(Value::as_str) != Some("disk") {
            continue;
        }
        let name = as_text(&d["name"]).ok_or("lsblk device without a name")?;
        let path = as_text(&d["path"]).unwrap_or_else(|| format!("/dev/{name}"));
        let mut ids: Vec<String> = by_id.iter().filter(|(_, dev)| *dev == path).map(|(id, _)| id.clone()).collect();
        ids.sort_by_key(|id| (id.contains("/wwn-") || id.contains("/nvme-eui.") || id.contains("_1"), id.clone()));
        disks.push(FactDisk {
            name,
            path,
            by_id: ids,
            size: as_u64(&d["size"]).ok_or("lsblk size is not a number of bytes (was -b honoured?)")?,
            model: as_text(&d["model"]),
            serial: as_text(&d["serial"]),
            rotational: as_bool(&d["rota"]),
            removable: as_bool(&d["rm"]),
        });
    }
    Ok(disks)
}

/// Ethernet interfaces from `ip -j addr show`: permanent MAC when bonded, addresses with prefix.
pub fn parse_ip_addr(text: &str) -> Result<Vec<FactNic>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("ip printed no JSON ({e})"))?;
    let links = v.as_array().ok_or("ip JSON is not a list")?;
    let mut nics = Vec::new();
    for l in links {
        if l.get("link_type").and_then(Value::as_str) != Some("ether") {
            continue;
        }
        let Some(name) = as_text(&l["ifname"]) else { continue };
        let mac = as_text(&l["permaddr"]).or_else(|| as_text(&l["address"])).and_then(|m| m.parse().ok());
        let addresses = l
            .get("addr_info")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|i| Some(format!("{}/{}", i.get("local")?.as_str()?, i.get("prefixlen")?.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        nics.push(FactNic { name, mac, state: as_text(&l["operstate"]), addresses });
    }
    Ok(nics)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Canned(Vec<&'static str>);
    impl Remote for Canned {
        fn run(&mut self, _: &str) -> Result<String, String> {
            Ok(self.0.remove(0).to_string())
        }
        fn host_key(&self) -> Option<String> {
            Some("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8IaCWuV5wnZ3tvu25sQVBj/PXCpJkqA+vl41DBI7Vm".into())
        }
    }

    #[test]
    fn gathers_an_n100() {
        let mut r = Canned(vec![
            "n100-1\n",
            "x86_64\n",
            "MemTotal:       16318236 kB\nMemFree: 1 kB\n",
            r#"{"blockdevices":[{"name":"nvme0n1","path":"/dev/nvme0n1","size":500107862016,"model":"CT500P3SSD8","serial":"2301E6A1B2C1","rota":false,"rm":false,"type":"disk"},
                {"name":"sr0","path":"/dev/sr0","size":1073741312,"model":null,"serial":null,"rota":"1","rm":"1","type":"rom"}]}"#,
            "/dev/disk/by-id/nvme-eui.0025 /dev/nvme0n1\n/dev/disk/by-id/nvme-CT500P3SSD8_2301E6A1B2C1 /dev/nvme0n1\n/dev/disk/by-id/nvme-CT500P3SSD8_2301E6A1B2C1-part1 /dev/nvme0n1p1\n",
            r#"[{"ifname":"lo","link_type":"loopback","address":"00:00:00:00:00:00"},
                {"ifname":"enp1s0","link_type":"ether","address":"3c:ec:ef:10:00:09","permaddr":"3c:ec:ef:10:00:01","operstate":"UP","addr_info":[{"local":"192.168.10.11","prefixlen":24}]},
                {"ifname":"bond0","link_type":"ether","address":"3c:ec:ef:10:00:09","operstate":"UP"}]"#,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8IaCWuV5wnZ3tvu25sQVBj/PXCpJkqA+vl41DBI7Vm root@n100-1\n",
        ]);
        let f = gather(&"n100-1".parse().unwrap(), &mut r).unwrap();
        assert_eq!((f.arch.as_str(), f.memory), ("x86_64", 16318236 * 1024));
        assert_eq!(f.disks.len(), 1);
        assert_eq!(
            f.disks[0].by_id,
            vec!["/dev/disk/by-id/nvme-CT500P3SSD8_2301E6A1B2C1".to_string(), "/dev/disk/by-id/nvme-eui.0025".into()]
        );
        assert_eq!(f.nics[0].mac.unwrap().to_string(), "3c:ec:ef:10:00:01", "the permanent MAC wins");
        assert_eq!(f.nics[0].addresses, vec!["192.168.10.11/24".to_string()]);
        assert_eq!(f.host_keys.len(), 1, "the same key from the session and the file is listed once");
    }

    #[test]
    fn bad_output_is_explained() {
        assert!(parse_meminfo("nothing").unwrap_err().contains("MemTotal"));
        assert!(parse_lsblk("not json", &[]).unwrap_err().contains("lsblk printed no JSON"));
        assert!(parse_lsblk(r#"{"blockdevices":[{"name":"a","type":"disk","size":"x"}]}"#, &[])
            .unwrap_err()
            .contains("size"));
        assert!(parse_ip_addr("{}").unwrap_err().contains("not a list"));
    }
}
