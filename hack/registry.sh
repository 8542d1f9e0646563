#!/usr/bin/env bash
# Builds the CNCF distribution registry (github.com/distribution/distribution/v3/cmd/registry, pinned) from the Go
# module proxy into a cache outside the repository, and prints the binary's path. Seconds when warm.
#
#   hack/registry.sh                 # build if missing, print the path
#   hack/registry.sh --check         # print the path and exit 0 if built, exit 1 otherwise; never builds
#   hack/registry.sh serve DIR PORT  # (build if missing and) run it in the foreground on 127.0.0.1:PORT, storage DIR
#
# Environment: ANNEALER_REGISTRY_VERSION (default 3.1.2), ANNEALER_REGISTRY_CACHE (default
#              ~/.cache/annealer/registry/v<version>), ANNEALER_GO_PARALLEL (go build -p, default 2, as hack/k8s-binaries.sh).
# Only stdout carries the path; progress goes to stderr.
set -euo pipefail

VERSION="${ANNEALER_REGISTRY_VERSION:-3.1.2}"
DIR="${ANNEALER_REGISTRY_CACHE:-${HOME}/.cache/annealer/registry/v${VERSION}}"
BIN="$DIR/registry"

built() { [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | grep -q "v${VERSION}"; }

build() {
  command -v go >/dev/null || { echo "registry: go is needed to build the registry from the Go module proxy" >&2; exit 1; }
  mkdir -p "$DIR"
  echo "registry: building distribution v${VERSION} from the Go module proxy into $DIR (a few minutes on 2 cores)" >&2
  local start; start=$(date +%s)
  # version stamped the way distribution's own Makefile does it, so `registry --version` names the release
  GOBIN="$DIR" CGO_ENABLED=0 go install -p "${ANNEALER_GO_PARALLEL:-2}" -trimpath \
    -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=v${VERSION}" \
    "github.com/distribution/distribution/v3/cmd/registry@v${VERSION}" >&2
  echo "registry: built in $(($(date +%s) - start)) s: $("$BIN" --version)" >&2
}

case "${1:-}" in
  --check)
    built || { echo "registry: not built yet in $DIR (hack/registry.sh builds it)" >&2; exit 1; }
    echo "$BIN" ;;
  serve)
    [[ $# -eq 3 ]] || { echo "usage: hack/registry.sh serve STORAGE_DIR PORT" >&2; exit 2; }
    built || build
    storage="$2"; port="$3"
    mkdir -p "$storage"
    config="$storage/config.yml"
    # plain HTTP on loopback only: clients need --plain-http (helm) / --tls-verify=false (podman)
    cat >"$config" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $storage/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
    exec "$BIN" serve "$config" ;;
  ""|--build)
    built || build
    echo "$BIN" ;;
  *) echo "registry: unknown argument '$1' (accepted: --check, serve DIR PORT)" >&2; exit 2 ;;
esac
