#!/usr/bin/env bash
# Builds the pinned kwok (sigs.k8s.io/kwok, cmd/kwok: fake nodes and pod lifecycles on a real API server) from the
# Go module proxy into a cache outside the repository, writes the stage configuration the scale benchmark uses next
# to it, and prints that folder. Benchmark only (`make bench-scale`): not a `make test` prerequisite.
#
#   hack/kwok.sh            # build what is missing (seconds when warm), print the folder
#   hack/kwok.sh --check    # exit 0 with the folder if ready, 1 otherwise; never builds
#
# Environment:
#   ANNEALER_KWOK_BIN       a folder that already holds `kwok` and `stages.yaml`: used as is, nothing is built
#   ANNEALER_KWOK_CACHE     output folder (default ~/.cache/annealer/kwok/v<kwok>)
#   ANNEALER_KWOK_VERSION   override the pinned version (untested)
#   ANNEALER_GO_PARALLEL    go build -p (default 2: the machine is shared)
#
# The folder holds: kwok (the controller binary) and stages.yaml, the upstream "fast" stages of the module
# (kustomize/stage: node-initialize, node-heartbeat-with-lease, pod-ready, pod-complete, pod-delete, and of
# volume/fast pvc-provision, pv-bind) in one file for `kwok --config`: nodes turn Ready at once and renew their leases,
# pods bound to them turn Running and Ready at once, a deleted pod is removed at once, and a claim of StorageClass
# `kwok-volume` (provisioner kwok.x-k8s.io/volume; the user creates the class) gets a bound PersistentVolume.
# Only stdout carries the folder; progress goes to stderr.
set -euo pipefail

KWOK_VERSION="${ANNEALER_KWOK_VERSION:-0.8.0}"
PARALLEL="${ANNEALER_GO_PARALLEL:-2}"
CACHE="${ANNEALER_KWOK_CACHE:-${HOME}/.cache/annealer/kwok/v${KWOK_VERSION}}"
STAMP_NAME=".annealer-kwok-stamp"
STAMP="kwok=v${KWOK_VERSION} flags=-trimpath,-s,-w stages=fast,volume"
STAGES=(node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml
  volume/fast/pvc-provision.yaml volume/fast/pv-bind.yaml)

mode=build
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "kwok: unknown argument '$arg' (accepted: --check, --help)" >&2; exit 2 ;;
  esac
done

log() { echo "kwok: $*" >&2; }
ready() { [[ -x "$1/kwok" && -s "$1/stages.yaml" ]]; }

if [[ -n "${ANNEALER_KWOK_BIN:-}" ]]; then
  if ready "$ANNEALER_KWOK_BIN"; then log "using ANNEALER_KWOK_BIN=$ANNEALER_KWOK_BIN (not building)"; echo "$ANNEALER_KWOK_BIN"; exit 0; fi
  log "ANNEALER_KWOK_BIN=$ANNEALER_KWOK_BIN lacks kwok or stages.yaml: unset it to build"
  exit 1
fi

if ready "$CACHE" && [[ "$(cat "$CACHE/$STAMP_NAME" 2>/dev/null)" == "$STAMP" ]]; then
  echo "$CACHE"
  exit 0
fi
if [[ "$mode" == check ]]; then log "not built yet in $CACHE (hack/kwok.sh builds it)"; exit 1; fi

command -v go >/dev/null || { log "go is not on PATH: install Go >= 1.26 (Debian: golang-go) and retry"; exit 1; }

mkdir -p "$CACHE"
rm -f "$CACHE/$STAMP_NAME"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

log "building kwok v${KWOK_VERSION} into $CACHE (go build -p $PARALLEL; cold: several minutes)"
mod_dir="$(cd "$CACHE" && go mod download -json "sigs.k8s.io/kwok@v${KWOK_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$mod_dir" ]] || { log "sigs.k8s.io/kwok@v${KWOK_VERSION} did not download"; exit 1; }
# The module has no replace directives, so `go install pkg@version` builds it with its own go.sum.
GOBIN="$CACHE" nice go install -p "$PARALLEL" -trimpath \
  -ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}" \
  "sigs.k8s.io/kwok/cmd/kwok@v${KWOK_VERSION}"

tmp="$CACHE/stages.yaml.tmp"
: > "$tmp"
for s in "${STAGES[@]}"; do
  [[ -f "$mod_dir/kustomize/stage/$s" ]] || { log "stage $s is missing from sigs.k8s.io/kwok@v${KWOK_VERSION}"; exit 1; }
  { echo "---"; echo "# sigs.k8s.io/kwok@v${KWOK_VERSION} kustomize/stage/$s"; cat "$mod_dir/kustomize/stage/$s"; } >> "$tmp"
done
mv "$tmp" "$CACHE/stages.yaml"

ready "$CACHE" || { log "build finished but files are missing in $CACHE"; exit 1; }
echo "$STAMP" > "$CACHE/$STAMP_NAME"
log "built in $(( $(date +%s) - start ))s"
echo "$CACHE"
