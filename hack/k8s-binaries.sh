#!/usr/bin/env bash
# Builds pinned Kubernetes control-plane binaries (kube-apiserver, kube-scheduler, kube-controller-manager,
# kubectl) and etcd from the Go module proxy into a cache outside the repository, and prints that folder.
#
#   hack/k8s-binaries.sh            # build what is missing (seconds when warm), print the folder
#   hack/k8s-binaries.sh --check    # exit 0 with the folder if ready, 1 otherwise; never builds
#   hack/k8s-binaries.sh --envtest  # only etcd, kube-apiserver, kubectl are required (API-server tests)
#
# Environment:
#   KUBEBUILDER_ASSETS / ANNEALER_K8S_BIN  a folder that already holds the binaries: used as is, nothing is built
#   ANNEALER_K8S_CACHE                     output folder (default ~/.cache/annealer/k8s/v<k8s>-etcd<etcd>)
#   ANNEALER_K8S_VERSION / ANNEALER_ETCD_VERSION   override the pinned versions (untested combinations)
#   ANNEALER_GO_PARALLEL                   go build -p (default 2: the machine is shared)
#
# How: a throw-away Go module (generated in <cache>/.src) requires k8s.io/kubernetes vX.Y.Z and replaces every
# k8s.io/<staging> module with v0.Y.Z of the same release (the published kubernetes go.mod points them at
# ./staging, which a module consumer cannot see). etcd is a second module whose main calls etcdmain.Main.
# Only stdout carries the folder; progress goes to stderr.
set -euo pipefail

K8S_VERSION="${ANNEALER_K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ANNEALER_ETCD_VERSION:-3.7.3}"
PARALLEL="${ANNEALER_GO_PARALLEL:-2}"
CACHE="${ANNEALER_K8S_CACHE:-${HOME}/.cache/annealer/k8s/v${K8S_VERSION}-etcd${ETCD_VERSION}}"
STAMP_NAME=".annealer-k8s-stamp"
STAMP="kubernetes=v${K8S_VERSION} etcd=v${ETCD_VERSION} flags=-trimpath,-s,-w"

ENVTEST_BINS=(etcd kube-apiserver kubectl)
ALL_BINS=(etcd kube-apiserver kubectl kube-scheduler kube-controller-manager)
# Staging modules of k8s.io/kubernetes (its go.mod replaces each with ./staging/src/k8s.io/<name>).
STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider cluster-bootstrap
  code-generator component-base component-helpers controller-manager cri-api cri-client cri-streaming
  csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
  kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission
  sample-apiserver sample-cli-plugin sample-controller streaming)

mode=build
required=("${ALL_BINS[@]}")
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    --envtest) required=("${ENVTEST_BINS[@]}") ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "k8s-binaries: unknown argument '$arg' (accepted: --check, --envtest, --help)" >&2; exit 2 ;;
  esac
done

log() { echo "k8s-binaries: $*" >&2; }

# has_all DIR: every required binary is an executable file in DIR.
has_all() {
  local dir="$1" b
  for b in "${required[@]}"; do [[ -x "$dir/$b" ]] || return 1; done
}

# 1. A folder the user already has wins.
for var in ANNEALER_K8S_BIN KUBEBUILDER_ASSETS; do
  dir="${!var:-}"
  [[ -n "$dir" ]] || continue
  if has_all "$dir"; then
    log "using $var=$dir (not building)"
    echo "$dir"
    exit 0
  fi
  missing=()
  for b in "${required[@]}"; do [[ -x "$dir/$b" ]] || missing+=("$b"); done
  log "$var=$dir lacks ${missing[*]}: unset $var to build them, or put them there"
  exit 1
done

# 2. Warm cache: all binaries present and the stamp matches the pinned versions.
if has_all "$CACHE" && [[ "$(cat "$CACHE/$STAMP_NAME" 2>/dev/null)" == "$STAMP" ]]; then
  echo "$CACHE"
  exit 0
fi
if [[ "$mode" == check ]]; then
  log "not built yet in $CACHE"
  exit 1
fi

command -v go >/dev/null || { log "go is not on PATH: install Go >= 1.26 (Debian: golang-go) and retry"; exit 1; }

minor="${K8S_VERSION#*.}"
staging_version="v0.${minor}"
src="$CACHE/.src"
mkdir -p "$CACHE" "$src/k8s" "$src/etcd"
rm -f "$CACHE/$STAMP_NAME"
start=$(date +%s)

export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

# --- Kubernetes ---------------------------------------------------------------------------------------------
{
  echo "module annealer.dev/k8sbinaries"
  echo
  echo "go 1.26"
  echo
  echo "require k8s.io/kubernetes v${K8S_VERSION}"
  echo
  echo "replace ("
  for m in "${STAGING[@]}"; do echo "	k8s.io/$m => k8s.io/$m $staging_version"; done
  echo ")"
} > "$src/k8s/go.mod"

# The binaries report this version (kubectl version, /version); without it they say v0.0.0-master.
pkgs=()
for b in kube-apiserver kube-scheduler kube-controller-manager kubectl; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
vflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  vflags+=" -X $p.gitVersion=v${K8S_VERSION} -X $p.gitMajor=${K8S_VERSION%%.*} -X $p.gitMinor=${minor%%.*}"
  vflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
log "building kubernetes v${K8S_VERSION} (staging ${staging_version}) into $CACHE (go build -p $PARALLEL; cold: tens of minutes)"
(cd "$src/k8s" && go build -p "$PARALLEL" -trimpath -ldflags="-s -w${vflags}" -o "$CACHE/" "${pkgs[@]}")

# --- etcd ---------------------------------------------------------------------------------------------------
cat > "$src/etcd/go.mod" <<EOF
module annealer.dev/etcdbinary

go 1.26

require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}
EOF
cat > "$src/etcd/main.go" <<'EOF'
// etcd built from the Go module proxy: the upstream server main, nothing else.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
log "building etcd v${ETCD_VERSION}"
(cd "$src/etcd" && go build -p "$PARALLEL" -trimpath -ldflags="-s -w" -o "$CACHE/etcd" .)

has_all "$CACHE" || { log "build finished but binaries are missing in $CACHE"; exit 1; }
echo "$STAMP" > "$CACHE/$STAMP_NAME"
log "built in $(( $(date +%s) - start ))s"
echo "$CACHE"
