#!/usr/bin/env bash
# Builds the pinned Kueue manager from the Go module proxy into a cache outside the repository, copies its CRDs and
# webhook manifests next to it, and prints that folder.
#
#   hack/kueue.sh            # build what is missing (seconds when warm), print the folder
#   hack/kueue.sh --check    # exit 0 with the folder if ready, 1 otherwise; never builds
#
# Environment:
#   ANNEALER_KUEUE_BIN       a folder that already holds `kueue` and `crds/`: used as is, nothing is built
#   ANNEALER_KUEUE_CACHE     output folder (default ~/.cache/annealer/kueue/v<kueue>)
#   ANNEALER_KUEUE_VERSION   override the pinned version (untested)
#   ANNEALER_GO_PARALLEL     go build -p (default 2: the machine is shared)
#
# The folder holds: kueue (the manager binary), crds/*.yaml (config/components/crd/bases of the module) and
# webhook/manifests.yaml (config/components/webhook of the module: the webhook paths the tests register).
# Only stdout carries the folder; progress goes to stderr.
set -euo pipefail

KUEUE_VERSION="${ANNEALER_KUEUE_VERSION:-0.17.0}"
PARALLEL="${ANNEALER_GO_PARALLEL:-2}"
CACHE="${ANNEALER_KUEUE_CACHE:-${HOME}/.cache/annealer/kueue/v${KUEUE_VERSION}}"
STAMP_NAME=".annealer-kueue-stamp"
STAMP="kueue=v${KUEUE_VERSION} flags=-trimpath,-s,-w"

mode=build
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "kueue: unknown argument '$arg' (accepted: --check, --help)" >&2; exit 2 ;;
  esac
done

log() { echo "kueue: $*" >&2; }
ready() { [[ -x "$1/kueue" && -f "$1/crds/kueue.x-k8s.io_workloads.yaml" && -f "$1/webhook/manifests.yaml" ]]; }

if [[ -n "${ANNEALER_KUEUE_BIN:-}" ]]; then
  if ready "$ANNEALER_KUEUE_BIN"; then log "using ANNEALER_KUEUE_BIN=$ANNEALER_KUEUE_BIN (not building)"; echo "$ANNEALER_KUEUE_BIN"; exit 0; fi
  log "ANNEALER_KUEUE_BIN=$ANNEALER_KUEUE_BIN lacks kueue, crds/ or webhook/manifests.yaml: unset it to build"
  exit 1
fi

if ready "$CACHE" && [[ "$(cat "$CACHE/$STAMP_NAME" 2>/dev/null)" == "$STAMP" ]]; then
  echo "$CACHE"
  exit 0
fi
if [[ "$mode" == check ]]; then log "not built yet in $CACHE"; exit 1; fi

command -v go >/dev/null || { log "go is not on PATH: install Go >= 1.25 (Debian: golang-go) and retry"; exit 1; }

mkdir -p "$CACHE"
rm -f "$CACHE/$STAMP_NAME"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

log "building kueue v${KUEUE_VERSION} into $CACHE (go build -p $PARALLEL; cold: ten minutes or more)"
mod_dir="$(cd "$CACHE" && go mod download -json "sigs.k8s.io/kueue@v${KUEUE_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$mod_dir" ]] || { log "sigs.k8s.io/kueue@v${KUEUE_VERSION} did not download"; exit 1; }
# The module has no replace directives, so `go install pkg@version` builds it with its own go.sum.
GOBIN="$CACHE" go install -p "$PARALLEL" -trimpath \
  -ldflags="-s -w -X sigs.k8s.io/kueue/pkg/version.GitVersion=v${KUEUE_VERSION}" \
  "sigs.k8s.io/kueue/cmd/kueue@v${KUEUE_VERSION}"

rm -rf "$CACHE/crds" "$CACHE/webhook"
mkdir -p "$CACHE/crds" "$CACHE/webhook"
cp "$mod_dir"/config/components/crd/bases/*.yaml "$CACHE/crds/"
cp "$mod_dir"/config/components/webhook/manifests.yaml "$CACHE/webhook/manifests.yaml"
chmod -R u+w "$CACHE/crds" "$CACHE/webhook"

ready "$CACHE" || { log "build finished but files are missing in $CACHE"; exit 1; }
echo "$STAMP" > "$CACHE/$STAMP_NAME"
log "built in $(( $(date +%s) - start ))s"
echo "$CACHE"
