#!/usr/bin/env bash
# Builds helm (helm.sh/helm/v3, pinned) from the Go module proxy into a cache outside the repository, next to the
# Kubernetes binaries, and prints the binary's path. Seconds when warm.
#
#   hack/helm.sh           # build if missing, print the path
#   hack/helm.sh --check   # print the path and exit 0 if built, exit 1 otherwise; never builds
#
# Environment: ANNEALER_HELM_VERSION (default 3.22.0), ANNEALER_HELM_CACHE (default ~/.cache/annealer/helm/v<version>),
#              ANNEALER_GO_PARALLEL (go build -p, default 1: the machine is shared).
# Only stdout carries the path; progress goes to stderr.
set -euo pipefail

VERSION="${ANNEALER_HELM_VERSION:-3.22.0}"
DIR="${ANNEALER_HELM_CACHE:-${HOME}/.cache/annealer/helm/v${VERSION}}"
HELM="$DIR/helm"

if [[ -x "$HELM" ]] && "$HELM" version --short 2>/dev/null | grep -q "v${VERSION}"; then
  echo "$HELM"
  exit 0
fi
if [[ "${1:-}" == --check ]]; then
  echo "helm: not built yet in $DIR (hack/helm.sh builds it)" >&2
  exit 1
fi
command -v go >/dev/null || { echo "helm: go is needed to build helm from the Go module proxy" >&2; exit 1; }
mkdir -p "$DIR"
echo "helm: building helm v${VERSION} from the Go module proxy into $DIR (a few minutes on 2 cores)" >&2
start=$(date +%s)
# version stamped the way helm's own Makefile does it, so `helm version` names the release
GOBIN="$DIR" CGO_ENABLED=0 go install -p "${ANNEALER_GO_PARALLEL:-1}" -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v${VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
  "helm.sh/helm/v3/cmd/helm@v${VERSION}" >&2
echo "helm: built in $(($(date +%s) - start)) s: $("$HELM" version --short)" >&2
echo "$HELM"
