#!/usr/bin/env bash
# Demo step of n3x-kube-bootstrap: the add-on manifests (Kyverno, the Longhorn NixOS PATH
# policy and its admission gate, Longhorn, Multus, MetalLB, cert-manager, Traefik, NVIDIA,
# Argo CD) of examples/edge-lab and examples/single-node, as the numbered files of
# k3s's manifests folder in $OUT/manifests/<example>/, plus the NixOS module per server
# of the main example in $OUT/hosts/<node>/k3s-manifests.nix. Needs only the built binaries.
set -euo pipefail

: "${BIN:?BIN must name the folder with the n3x binaries}"
: "${OUT:?OUT must name the output folder}"
: "${REPO:?REPO must name the repository root}"
EXAMPLE=${EXAMPLE:-$REPO/examples/edge-lab/inventory.yaml}
kb="$BIN/n3x-kube-bootstrap"

for example in edge-lab single-node; do
  "$kb" render "$REPO/examples/$example/inventory.yaml" --format dir --out "$OUT/manifests/$example"
  "$kb" render "$REPO/examples/$example/inventory.yaml" -o "$OUT/kube-bootstrap-$example.yaml"
  echo "wrote $OUT/manifests/$example/: $(find "$OUT/manifests/$example" -name '*.yaml' | wc -l) files"
done

# The NixOS modules of the main example, from the normalized cluster when the inventory step wrote it.
input="$EXAMPLE"
[ -f "$OUT/cluster.json" ] && input="$OUT/cluster.json"
# The storage interfaces from the NetworkPlan when the netplan step (40) wrote it.
plan=()
[ -f "$OUT/network-plan.json" ] && plan=(--network-plan "$OUT/network-plan.json")
"$kb" render "$input" "${plan[@]}" --format nix --out "$OUT/hosts"
echo "wrote $(find "$OUT/hosts" -name k3s-manifests.nix | wc -l) x hosts/<server>/k3s-manifests.nix"
"$kb" components "$input"
ls "$OUT/manifests/edge-lab"
