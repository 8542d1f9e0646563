#!/usr/bin/env bash
# Packages the kubectl plugin (bin/kubectl-annealer, bin/annealer and the built CLI jar + libraries) as a krew
# archive and writes deploy/krew/annealer.yaml with the archive's sha256 and local name to target/krew/.
#   hack/krew-package.sh   (needs cli/target/annealer-cli.jar: mvn -B -pl cli -am package -DskipTests)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/target/krew"
[[ -f "$root/cli/target/annealer-cli.jar" ]] || { echo "krew-package: build the CLI first: mvn -B -pl cli -am package -DskipTests" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out/stage/bin" "$out/stage/cli/target"
cp "$root/bin/kubectl-annealer" "$root/bin/annealer" "$out/stage/bin/"
cp -r "$root/cli/target/annealer-cli.jar" "$root/cli/target/lib" "$out/stage/cli/target/"
tar -C "$out/stage" -czf "$out/kubectl-annealer.tar.gz" bin cli
sum="$(sha256sum "$out/kubectl-annealer.tar.gz" | cut -d' ' -f1)"
sed -e "s|^    sha256: .*|    sha256: \"$sum\"|" -e "s|^    uri: .*|    uri: kubectl-annealer.tar.gz|" \
  "$root/deploy/krew/annealer.yaml" > "$out/annealer.yaml"
echo "$out/annealer.yaml"
