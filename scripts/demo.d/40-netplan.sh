#!/usr/bin/env bash
# Demo step of n3x-netplan: the checked network of every node of the example, as a
# NixOS module in $OUT/hosts/<node>/network.nix (systemd-networkd, firewall, k3s flags),
# plain networkd units in $OUT/networkd/<node>/ for review, and the plan in
# $OUT/network-plan.json. Needs only the built binaries.
set -euo pipefail

: "${BIN:?BIN must name the folder with the n3x binaries}"
: "${OUT:?OUT must name the output folder}"
: "${REPO:?REPO must name the repository root}"
EXAMPLE=${EXAMPLE:-$REPO/examples/edge-lab/inventory.yaml}
netplan="$BIN/n3x-netplan"

mkdir -p "$OUT/hosts" "$OUT/networkd"
# Rendered from the normalized cluster when the inventory step wrote it, else from the inventory.
input="$EXAMPLE"
[ -f "$OUT/cluster.json" ] && input="$OUT/cluster.json"

"$netplan" check "$input"
"$netplan" plan "$input" -o "$OUT/network-plan.json"
"$netplan" render "$input" --format nix --out "$OUT/hosts"
"$netplan" render "$input" --format networkd --out "$OUT/networkd"

count=$(find "$OUT/hosts" -name network.nix | wc -l)
echo "wrote $OUT/network-plan.json, $count x hosts/<node>/network.nix and networkd/<node>/*.{network,netdev,link}"
first=$(find "$OUT/hosts" -name network.nix | sort | head -n 1)
grep -E 'extraFlags|allowedTCPPorts' "$first" || true
