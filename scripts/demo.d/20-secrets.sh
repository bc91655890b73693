#!/usr/bin/env bash
# Demo step of n3x-secrets: a .sops.yaml for the example cluster, its encrypted secret
# files (k3s server and agent tokens, one file per host) and a sops-nix module per node
# (hosts/<node>/secrets.nix). The admin key is a throwaway generated into $OUT on the
# first run (never committed); the inventory's own admins and hosts are recipients too.
# Needs only the built binaries.
set -euo pipefail

: "${BIN:?BIN must name the folder with the n3x binaries}"
: "${OUT:?OUT must name the output folder}"
: "${REPO:?REPO must name the repository root}"
EXAMPLE=${EXAMPLE:-$REPO/examples/edge-lab/inventory.yaml}
secrets="$BIN/n3x-secrets"

mkdir -p "$OUT/hosts"
input="$EXAMPLE"
[ -f "$OUT/cluster.json" ] && input="$OUT/cluster.json"

demo_key="$OUT/demo-admin-key.txt"
if [ ! -f "$demo_key" ]; then
  "$secrets" keygen -o "$demo_key" 2>/dev/null
  echo "generated the throwaway demo admin identity $demo_key (mode 0600)"
fi
admin=$("$secrets" pubkey "$demo_key")

"$secrets" sops-config "$input" --add-admin "$admin" -o "$OUT/.sops.yaml"
# init matches the files against .sops.yaml from the working folder, as sops does.
(cd "$OUT" && "$secrets" init "$input" --dir secrets)
"$secrets" render-nix "$input" --out "$OUT/hosts"

# The demo admin can open the token file; the value itself is not printed.
SOPS_AGE_KEY_FILE="$demo_key" "$secrets" decrypt --extract '["k3s-token"]' "$OUT/secrets/cluster.yaml" > /dev/null
(cd "$OUT" && "$secrets" lint hosts/*/secrets.nix secrets)

count=$(find "$OUT/hosts" -name secrets.nix | wc -l)
echo "wrote $OUT/.sops.yaml, $(find "$OUT/secrets" -name '*.yaml' | wc -l) encrypted files in $OUT/secrets and $count x hosts/<node>/secrets.nix"
echo "decrypt with: SOPS_AGE_KEY_FILE=$demo_key $secrets decrypt $OUT/secrets/cluster.yaml"
