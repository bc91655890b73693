#!/usr/bin/env bash
# Demo step of n3x-disko: plan and render the disk layout of every node of the example
# into $OUT/hosts/<node>/disko.nix (+ disk-extra.nix), with the plan and the table a
# person reads before wiping a disk. Needs only the built binaries.
set -euo pipefail

: "${BIN:?BIN must name the folder with the n3x binaries}"
: "${OUT:?OUT must name the output folder}"
: "${REPO:?REPO must name the repository root}"
EXAMPLE=${EXAMPLE:-$REPO/examples/edge-lab/inventory.yaml}
disko="$BIN/n3x-disko"

mkdir -p "$OUT/hosts"
# Rendered from the normalized cluster when the inventory step wrote it, else from the inventory.
input="$EXAMPLE"
[ -f "$OUT/cluster.json" ] && input="$OUT/cluster.json"

"$disko" plan "$input" -o "$OUT/disk-plan.json"
"$disko" render "$input" --out "$OUT/hosts"
"$disko" show "$input" > "$OUT/disk-layout.txt"

count=$(find "$OUT/hosts" -name disko.nix | wc -l)
echo "wrote $OUT/disk-plan.json, $OUT/disk-layout.txt and $count x hosts/<node>/{disko,disk-extra}.nix"
sed -n '1,12p' "$OUT/disk-layout.txt"
