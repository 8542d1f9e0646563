#!/usr/bin/env bash
# Builds annealer-status-check (hack/status-check/: kstatus from sigs.k8s.io/cli-utils and gopher-lua, the engine of
# Argo CD's Lua health checks) from the Go module proxy into a cache outside the repository, and prints the binary's
# path. Seconds when warm; the GitOpsStatusTest/GitOpsE2E tests run it.
#
#   hack/status-check.sh           # build if missing or stale, print the path
#   hack/status-check.sh --check   # print the path and exit 0 if built, exit 1 otherwise; never builds
#
# Environment: ANNEALER_STATUS_CHECK_CACHE (default ~/.cache/annealer/status-check),
#              ANNEALER_GO_PARALLEL (go build -p, default 1: the machine is shared).
# The cache key is the sha256 of go.mod, go.sum and main.go, so an edit rebuilds. Only stdout carries the path.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/status-check" && pwd)"
key="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-16)"
DIR="${ANNEALER_STATUS_CHECK_CACHE:-${HOME}/.cache/annealer/status-check}/$key"
BIN="$DIR/annealer-status-check"

if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi
if [[ "${1:-}" == --check ]]; then
  echo "status-check: not built yet in $DIR (hack/status-check.sh builds it)" >&2
  exit 1
fi
command -v go >/dev/null || { echo "status-check: go is needed to build it from the Go module proxy" >&2; exit 1; }
mkdir -p "$DIR"
echo "status-check: building $BIN from the Go module proxy" >&2
start=$(date +%s)
(cd "$SRC" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -p "${ANNEALER_GO_PARALLEL:-1}" -trimpath -ldflags "-s -w" \
  -o "$BIN.tmp" .)
mv "$BIN.tmp" "$BIN"
echo "status-check: built in $(($(date +%s) - start)) s" >&2
echo "$BIN"
