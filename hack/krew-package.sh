#!/usr/bin/env bash
# Packages the kubectl plugin as a krew archive: bin/kubectl-annealer, bin/annealer and the built CLI (cli/target/
# annealer-cli.jar + lib/), laid out as deploy/krew/annealer.yaml's `files` expect. Writes to OUT_DIR (default
# target/krew) the archive, named after the manifest's uri (kubectl-annealer-<spec.version>.tar.gz), and the manifest
# with the archive's sha256 in place of the committed placeholder; prints the manifest's path. Install it with
#   kubectl krew install --manifest=OUT_DIR/annealer.yaml --archive=OUT_DIR/kubectl-annealer-<version>.tar.gz
#
#   hack/krew-package.sh [OUT_DIR]   (needs cli/target/annealer-cli.jar: mvn -B -pl cli -am package -DskipTests)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/target/krew}" && cd "${1:-$root/target/krew}" && pwd)"
manifest="$root/deploy/krew/annealer.yaml"
[[ -f "$root/cli/target/annealer-cli.jar" ]] || { echo "krew-package: build the CLI first: mvn -B -pl cli -am package -DskipTests" >&2; exit 1; }
version="$(sed -n 's/^  version: *//p' "$manifest")"
uri="$(sed -n 's/^    uri: *//p' "$manifest")"
archive="kubectl-annealer-$version.tar.gz"
[[ "$(basename "$uri")" == "$archive" ]] || {
  echo "krew-package: $manifest: spec.platforms[].uri ($uri) must end in $archive (the archive of spec.version $version)" >&2; exit 1; }
rm -rf "$out/stage" "$out/$archive" && mkdir -p "$out/stage/bin" "$out/stage/cli/target"
cp "$root/bin/kubectl-annealer" "$root/bin/annealer" "$out/stage/bin/"
cp -r "$root/cli/target/annealer-cli.jar" "$root/cli/target/lib" "$out/stage/cli/target/"
tar -C "$out/stage" --sort=name --owner=0 --group=0 --numeric-owner -czf "$out/$archive" bin cli
rm -rf "$out/stage"
sum="$(sha256sum "$out/$archive" | cut -d' ' -f1)"
sed -e "s|^    sha256: .*|    sha256: \"$sum\"|" "$manifest" > "$out/annealer.yaml"
echo "$out/annealer.yaml"
