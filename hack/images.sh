#!/usr/bin/env bash
# Builds the Annealer OCI images with podman, from Debian packages only (no base image is pulled from any registry):
#   <registry>/annealer-operator:<tag>         the Quarkus operator (fast-jar)
#   <registry>/annealer-trainer:<tag>          the DJL trainer, CPU libtorch baked into its DJL cache
#   <registry>/annealer-trainer:<tag>-cu124    the same trainer with CUDA 12.4 libtorch (pytorch-native-cu124)
# Names and tags come from images.properties (the one source of truth). Prints the references it built.
#
#   hack/images.sh               # base + operator + trainer (CPU) + trainer (CUDA)   (`make images`)
#   hack/images.sh cpu           # base + operator + trainer (CPU) only
#   hack/images.sh cuda          # base + trainer (CUDA) only                          (`make images-cuda`)
#   hack/images.sh operator|trainer  # one image from the last `mvn package`, no Maven run
#   hack/images.sh base          # only the base image (prints its reference)
#   hack/images.sh verify [operator|trainer|cuda]...  # runs built images read-only as uid 10001 (`make images-verify`)
#   hack/images.sh push REGISTRY # tags and pushes the built images to REGISTRY (e.g. 127.0.0.1:5000/annealer)
#   hack/images.sh push-local    # starts the local OCI registry (hack/registry.sh) on 127.0.0.1, pushes the built
#                                # images (CUDA only with PUSH_CUDA=1) and the chart (helm push) to it, checks the
#                                # manifests are served, stops it (`make images-push`); data in <cache>/registry
#   hack/images.sh tools         # only installs podman, buildah, runc, debootstrap (Debian packages)
#
# The base image is a Debian minbase root filesystem made by debootstrap with openjdk-17-jre-headless and the
# non-root user annealer (uid/gid 10001), cached as a tarball under ~/.cache/annealer/images (seconds when warm).
# The Debian mirror is the one apt is configured with here (DEBIAN_MIRROR overrides it).
#
# Environment: ANNEALER_IMAGES_CACHE (default ~/.cache/annealer/images), MVN (default "mvn -B"),
#              MAVEN_REPO (default ~/.m2/repository), DEBIAN_MIRROR, DEBIAN_SUITE (default: this machine's).
# Progress goes to stderr; stdout carries only the image references.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../images.properties
source "$ROOT/images.properties"
CACHE="${ANNEALER_IMAGES_CACHE:-${HOME}/.cache/annealer/images}"
MVN="${MVN:-mvn -B}"
MAVEN_REPO="${MAVEN_REPO:-${HOME}/.m2/repository}"
BASE_PACKAGES="openjdk-17-jre-headless"
# Bump when the base recipe below changes: it is part of the base image's cache key.
BASE_RECIPE=1
# What every container of this project gets on these machines (crun fails on hybrid cgroups; limits can't be raised).
RUN_FLAGS=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --read-only --user 10001)

OPERATOR_REF="${IMAGE_REGISTRY}/${OPERATOR_IMAGE}:${IMAGE_TAG}"
TRAINER_REF="${IMAGE_REGISTRY}/${TRAINER_IMAGE}:${IMAGE_TAG}"
TRAINER_CUDA_REF="${TRAINER_REF}${TRAINER_CUDA_SUFFIX}"

log() { echo "images: $*" >&2; }
die() { echo "images: error: $*" >&2; exit 1; }
now() { date +%s; }

# Installs missing commands from Debian packages: what every mode needs, plus "$@" as command:package pairs.
ensure_tools() {
  local missing=() pair
  for pair in podman:podman buildah:buildah runc:runc debootstrap:debootstrap unzip:unzip "$@"; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: run as root, or apt-get install -y ${missing[*]}"
  log "installing ${missing[*]} (Debian packages)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

debian_mirror() {
  if [[ -n "${DEBIAN_MIRROR:-}" ]]; then echo "$DEBIAN_MIRROR"; return; fi
  # the mirror apt already uses for <suite>/main on this machine
  apt-cache policy 2>/dev/null | awk -v s="${1}/main" '$3 == s && $2 ~ /^https?:/ { print $2; exit }'
}

# ---- base: debootstrap minbase + JRE + user 10001, cached as a tarball, imported as localhost/annealer-base:<key>
base_image() {
  local suite="${DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME}")}"
  local key
  key=$(printf '%s\n' "$suite" "$BASE_PACKAGES" "$BASE_RECIPE" | sha256sum | cut -c1-12)
  BASE_REF="localhost/annealer-base:${suite}-${key}"
  if podman image exists "$BASE_REF"; then
    log "base $BASE_REF (cached image)"
    return
  fi
  local tarball="$CACHE/base-${suite}-${key}.tar"
  if [[ ! -f "$tarball" ]]; then
    local mirror rootfs="$CACHE/rootfs-${key}.tmp" t0
    mirror=$(debian_mirror "$suite")
    [[ -n "$mirror" ]] || die "no Debian mirror for $suite/main in apt's configuration: set DEBIAN_MIRROR"
    mkdir -p "$CACHE/debs"
    rm -rf "$rootfs"
    t0=$(now)
    log "debootstrap $suite (minbase + $BASE_PACKAGES) into $rootfs"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" --cache-dir="$CACHE/debs" "$suite" "$rootfs" "$mirror" >&2 \
      || die "debootstrap failed (log: $rootfs/debootstrap/debootstrap.log)"
    # smaller, reproducible-ish: no package caches, lists, docs, man pages, locales or logs
    rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/{doc,man,info,locale}/* \
      "$rootfs"/var/log/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/tmp/* "$rootfs"/root/.cache
    # the non-root user of both images; the chart's runAsUser/fsGroup default to it
    echo "annealer:x:10001:" >>"$rootfs/etc/group"
    echo "annealer:x:10001:10001:Annealer:/opt/annealer:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
    echo "annealer:*:20000:0:99999:7:::" >>"$rootfs/etc/shadow"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    log "base rootfs built in $(($(now) - t0)) s: $tarball"
  fi
  local java_home=/usr/lib/jvm/java-17-openjdk-amd64
  podman import --change "ENV JAVA_HOME=$java_home" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" "$tarball" "$BASE_REF" >/dev/null
  log "base $BASE_REF (imported from $tarball)"
}

maven_package() {
  log "mvn package (operator, trainer-image)"
  (cd "$ROOT" && $MVN -q -pl operator,trainer-image -am package -DskipTests) >&2
}

# ---- operator: the Quarkus fast-jar on the base
operator_image() {
  local app="$ROOT/operator/target/quarkus-app"
  [[ -f "$app/quarkus-run.jar" ]] || die "$app/quarkus-run.jar missing: mvn -pl operator -am package"
  podman build --pull=never --layers --build-arg "BASE=$BASE_REF" -f "$ROOT/operator/Containerfile" -t "$OPERATOR_REF" "$app" >&2
  echo "$OPERATOR_REF"
}

# ---- trainer: jar + lib + examples + launcher + a DJL cache with the native libraries already unpacked
stage_trainer_common() { # $1 = staging dir
  local stage=$1 target="$ROOT/trainer-image/target"
  [[ -f "$target/annealer-trainer.jar" ]] || die "$target/annealer-trainer.jar missing: mvn -pl trainer-image -am package"
  rm -rf "$stage" && mkdir -p "$stage/lib"
  cp "$target/annealer-trainer.jar" "$stage/"
  cp "$ROOT/trainer-image/bin/annealer-trainer" "$stage/"
  cp -r "$ROOT/examples" "$stage/examples"
  # the c10d bridge for data-parallel workers (CPU/Gloo; built by the trainer's Maven build, hack/c10d-bridge.sh). The
  # CUDA flavour needs a bridge built against the CUDA libtorch with -DANNEALER_WITH_NCCL (not built here: no CUDA
  # headers on these machines), so its native/ stays empty and --workers > 1 there fails with a clear message.
  mkdir -p "$stage/native"
  if [[ "$stage" == *image-cpu* && -f "$target/native/libannealer_c10d.so" ]]; then
    cp "$target/native/libannealer_c10d.so" "$stage/native/"
  fi
  local jar
  for jar in "$target"/lib/*.jar; do
    case "$(basename "$jar")" in pytorch-native-*) ;; *) cp "$jar" "$stage/lib/" ;; esac
  done
}

# Runs the trainer's engine-info (and loads the tokenizers library when its jar is on the classpath) with
# DJL_CACHE_DIR=$1, so DJL unpacks its native libraries there exactly as it would at run time.
bake_djl_cache() { # $1 = cache dir, $2 = classpath
  DJL_CACHE_DIR="$1" java -Dai.djl.offline=true -Djna.tmpdir="${TMPDIR:-/tmp}" -cp "$2" \
    "$ROOT/hack/BakeDjlCache.java" >&2
}

trainer_image() {
  local stage="$ROOT/trainer-image/target/image-cpu" cpu_jar
  stage_trainer_common "$stage"
  cpu_jar=$(ls "$ROOT"/trainer-image/target/lib/pytorch-native-cpu-*.jar 2>/dev/null | head -1)
  [[ -n "$cpu_jar" ]] || die "no pytorch-native-cpu jar in trainer-image/target/lib (built with -P cuda?)"
  cp "$cpu_jar" "$stage/lib/"
  bake_djl_cache "$stage/djl-cache" "$stage/annealer-trainer.jar:$stage/lib/*"
  chmod -R a+rX "$stage" # DJL unpacks into 0700 temp folders: uid 10001 must read them
  podman build --pull=never --layers --build-arg "BASE=$BASE_REF" -f "$ROOT/trainer-image/Containerfile" \
    -t "$TRAINER_REF" "$stage" >&2
  echo "$TRAINER_REF"
}

# The CUDA flavour: pytorch-native-cu124 (the trainer-image pom's cuda profile; 2.4 GB) unpacked once into the cache,
# then into the image's DJL cache where DJL looks for it (PYTORCH_LIBRARY_PATH/VERSION/FLAVOR in the Containerfile
# point at it, so the 2.4 GB jar itself is not in the image and no GPU is needed to build it).
cuda_coordinates() {
  local v
  v=$(sed -n 's:.*<pytorch.native.version>\(.*\)</pytorch.native.version>.*:\1:p' "$ROOT/pom.xml" | head -1)
  grep -q "<artifactId>pytorch-native-cu124</artifactId>" "$ROOT/trainer-image/pom.xml" \
    || die "trainer-image/pom.xml has no cuda profile with pytorch-native-cu124"
  echo "ai.djl.pytorch:pytorch-native-cu124:${v}:jar:linux-x86_64"
}

trainer_cuda_image() {
  local coords jar version flavor=cu124 unpacked stage="$ROOT/trainer-image/target/image-cu124" jni_jar
  coords=$(cuda_coordinates)
  IFS=: read -r _ _ version _ _ <<<"$coords"
  jar="$MAVEN_REPO/ai/djl/pytorch/pytorch-native-cu124/$version/pytorch-native-cu124-$version-linux-x86_64.jar"
  if [[ ! -f "$jar" ]]; then
    log "fetching $coords (2.4 GB, Maven Central)"
    (cd "$ROOT" && $MVN -q dependency:get -Dartifact="$coords" -Dtransitive=false) >&2
  fi
  local build
  build=$(unzip -p "$jar" native/lib/pytorch.properties | sed -n 's/^version=//p' | tr -d '\r')
  [[ -n "$build" ]] || die "$jar has no native/lib/pytorch.properties version"
  unpacked="$CACHE/pytorch-$build-$flavor-linux-x86_64"
  if [[ ! -f "$unpacked/libtorch_cuda.so" ]]; then
    log "unpacking $(basename "$jar") into $unpacked"
    rm -rf "$unpacked.tmp" && mkdir -p "$unpacked.tmp"
    unzip -q -j "$jar" "pytorch/$flavor/linux-x86_64/*" -d "$unpacked.tmp"
    rm -rf "$unpacked" && mv "$unpacked.tmp" "$unpacked"
  fi
  stage_trainer_common "$stage"
  jni_jar=$(ls "$stage"/lib/pytorch-jni-*.jar | head -1)
  local djl_version libdir="$stage/djl-cache/pytorch/$build-$flavor-linux-x86_64"
  djl_version=$(basename "$jni_jar" .jar | sed 's/.*-//')
  mkdir -p "$libdir"
  cp -l "$unpacked"/* "$libdir/" 2>/dev/null || cp "$unpacked"/* "$libdir/"
  # DJL's JNI bridge for this flavour, where LibUtils looks for it: <cache>/pytorch/<version>-<flavor>-<classifier>/<djl>-libdjl_torch.so
  unzip -p "$jni_jar" "jnilib/linux-x86_64/$flavor/libdjl_torch.so" >"$libdir/$djl_version-libdjl_torch.so"
  # the tokenizers native library (if its jar is on the classpath) needs no GPU: bake it with the CPU engine
  if ls "$stage"/lib/tokenizers-*.jar >/dev/null 2>&1; then
    ANNEALER_BAKE_TOKENIZERS_ONLY=true bake_djl_cache "$stage/djl-cache" "$stage/annealer-trainer.jar:$stage/lib/*"
  fi
  chmod -R a+rX "$stage"
  podman build --pull=never --layers --build-arg "BASE=$BASE_REF" \
    --build-arg "PYTORCH_LIBRARY_PATH=/opt/annealer/djl-cache/pytorch/$build-$flavor-linux-x86_64" \
    --build-arg "PYTORCH_VERSION=$build" --build-arg "PYTORCH_FLAVOR=$flavor" \
    -f "$ROOT/trainer-image/Containerfile" -t "$TRAINER_CUDA_REF" "$stage" >&2
  echo "$TRAINER_CUDA_REF"
}

# ---- verify: each image as a pod would run it (read-only root, uid 10001, tmpfs /tmp, the machine's limits)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A throw-away etcd + kube-apiserver on loopback (the binaries of hack/k8s-binaries.sh), deploy/install.yaml applied
# to it (Namespace, CRD, ServiceAccount, generated ClusterRole and binding); writes $1/kubeconfig holding the token of
# the operator's own ServiceAccount, so the operator runs with the chart's RBAC and nothing more.
start_apiserver() { # $1 = work dir
  local d=$1 bin etcd_port peer_port token
  bin=$(bash "$ROOT/hack/k8s-binaries.sh" --check --envtest) || return 1
  etcd_port=$(free_port) peer_port=$(free_port) API_PORT=$(free_port)
  token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  echo "$token,admin,uid-admin,\"system:masters\"" >"$d/tokens.csv"
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null && openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  "$bin/etcd" --data-dir="$d/etcd" --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" --initial-cluster="default=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync=true --log-level=warn >"$d/etcd.log" 2>&1 &
  ETCD_PID=$!
  "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 --secure-port="$API_PORT" --cert-dir="$d/certs" --token-auth-file="$d/tokens.csv" \
    --authorization-mode=RBAC --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$d/sa.pub" --service-account-signing-key-file="$d/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none \
    --disable-admission-plugins=ServiceAccount >"$d/apiserver.log" 2>&1 &
  APISERVER_PID=$!
  local admin=(--server "https://127.0.0.1:$API_PORT" --insecure-skip-tls-verify --token "$token")
  for _ in $(seq 1 120); do
    "$bin/kubectl" "${admin[@]}" get --raw /readyz >/dev/null 2>&1 && break
    sleep 1
  done
  "$bin/kubectl" "${admin[@]}" get --raw /readyz >/dev/null || { tail -20 "$d/apiserver.log" >&2; return 1; }
  "$bin/kubectl" "${admin[@]}" apply --server-side -f "$ROOT/deploy/install.yaml" >&2 || return 1
  local sa_token
  # the static manifest's release is "annealer": ServiceAccount annealer in annealer-system
  sa_token=$("$bin/kubectl" "${admin[@]}" -n annealer-system create token annealer --duration=1h) || return 1
  cat >"$d/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: verify, cluster: {server: "https://127.0.0.1:$API_PORT", insecure-skip-tls-verify: true}}]
users: [{name: operator, user: {token: "$sa_token"}}]
contexts: [{name: verify, context: {cluster: verify, user: operator, namespace: annealer-system}}]
current-context: verify
KC
  chmod 644 "$d/kubeconfig"
}

stop_apiserver() { # SIGTERM, then SIGKILL after 10 s (kube-apiserver may linger on a graceful shutdown)
  local pid
  for pid in ${APISERVER_PID:-} ${ETCD_PID:-}; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
  APISERVER_PID="" ETCD_PID=""
}

verify_operator() {
  log "verify $OPERATOR_REF: read-only as uid 10001 against a real kube-apiserver with deploy/install.yaml's RBAC"
  assert_nonroot_readonly "$OPERATOR_REF"
  local d name="annealer-verify-operator-$$" port out=""
  d=$(mktemp -d)
  if ! start_apiserver "$d"; then
    stop_apiserver
    die "no kube-apiserver (hack/k8s-binaries.sh --check --envtest: run make k8s-binaries first)"
  fi
  port=$(free_port)
  podman run -d --name "$name" "${RUN_FLAGS[@]}" --network host -e QUARKUS_HTTP_PORT="$port" \
    -v "$d/kubeconfig:/etc/annealer/kubeconfig:ro" -e KUBECONFIG=/etc/annealer/kubeconfig "$OPERATOR_REF" >/dev/null
  for _ in $(seq 1 90); do
    out=$(curl -fsS "http://127.0.0.1:$port/q/health/ready" 2>/dev/null) && break
    podman container exists "$name" && [[ $(podman inspect -f '{{.State.Running}}' "$name") == true ]] || break
    sleep 1
  done
  # the version: Quarkus' start line ("annealer-operator <version> on JVM ... started in"), else the application jar
  local started=""
  for _ in $(seq 1 30); do
    started=$(podman logs "$name" 2>&1 | grep -m1 ' started in ') && break
    sleep 1
  done
  [[ -n $started ]] || started="application $(podman exec "$name" ls /opt/annealer-operator/app | grep annealer)"
  log "$started"
  local ok=true
  [[ $out == *'"status": "UP"'* || $out == *'"status":"UP"'* ]] || ok=false
  $ok || podman logs "$name" 2>&1 | tail -40 >&2
  podman rm -f "$name" >/dev/null 2>&1 || true
  stop_apiserver
  rm -rf "$d"
  $ok || die "operator not ready: ${out:-no answer from /q/health/ready}"
  log "operator ready: $(echo "$out" | tr -d '\n ' | cut -c1-200)"
}

# Asserted from inside the container: the user is 10001 and the root filesystem refuses writes.
assert_nonroot_readonly() { # $1 = image ref
  local got
  got=$(podman run --rm "${RUN_FLAGS[@]}" --network none --entrypoint sh "$1" -c \
    'echo "uid=$(id -u) gid=$(id -g)"; if touch /opt/.w 2>/dev/null || touch /.w 2>/dev/null; then echo rootfs=writable; else echo rootfs=read-only; fi')
  log "$1: $(echo "$got" | tr '\n' ' ')"
  [[ $got == *"uid=10001"* && $got == *"rootfs=read-only"* ]] || die "$1 does not run as uid 10001 on a read-only root: $got"
}

verify_trainer() { # $1 = image ref, $2 = device
  local ref=$1 device=$2 work mounts=()
  log "verify $ref: engine-info, the quickstart for 30 steps and the flagship LoRA for 6 (--device $device), read-only, uid 10001"
  assert_nonroot_readonly "$ref"
  work=$(mktemp -d)
  if [[ $ref == *"$TRAINER_CUDA_SUFFIX" ]]; then
    # On a GPU node the NVIDIA container toolkit mounts the driver's libcuda.so.1 (libcaffe2_nvrtc.so links it).
    # There is no GPU and no driver here: a symbol-less stub with that soname stands for it, so the CUDA libtorch
    # loads, finds no device and the quickstart runs on CPU. Without it the engine refuses to load (by design).
    # Every driver function the libraries link returns CUDA_ERROR_STUB_LIBRARY (34), as NVIDIA's own stub does.
    local lib cid
    lib=$(podman image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$ref" | sed -n 's/^PYTORCH_LIBRARY_PATH=//p')
    cid=$(podman create "$ref")
    podman cp "$cid:$lib/libcaffe2_nvrtc.so" "$work/" && podman rm "$cid" >/dev/null
    readelf --dyn-syms --wide "$work/libcaffe2_nvrtc.so" | awk '$7 == "UND" && $8 ~ /^cu/ { sub(/@.*/, "", $8); print "int " $8 "(void) { return 34; }" }' \
      | sort -u >"$work/stub.c"
    rm -f "$work/libcaffe2_nvrtc.so"
    gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$work/libcuda.so.1" "$work/stub.c"
    mounts=(-v "$work/libcuda.so.1:/usr/lib/x86_64-linux-gnu/libcuda.so.1:ro")
    log "(with a stub libcuda.so.1 mounted, standing for the driver the NVIDIA container toolkit mounts)"
  fi
  podman run --rm "${RUN_FLAGS[@]}" --network none "${mounts[@]}" "$ref" engine-info >&2
  # (the warmup must end before maxSteps: the trainer rejects a job whose warmup outlasts it)
  sed -e 's/maxSteps: .*/maxSteps: 30/' -e 's/evalEverySteps: .*/evalEverySteps: 10/' -e 's/everySteps: 250/everySteps: 10/' \
    -e 's/warmup: {steps: [0-9]*,/warmup: {steps: 5,/' "$ROOT/examples/quickstart.yaml" >"$work/job.yaml"
  mkdir -p "$work/checkpoints" && chown 10001:10001 "$work/checkpoints" && chmod 755 "$work"
  podman run --rm "${RUN_FLAGS[@]}" --network none "${mounts[@]}" -v "$work/job.yaml:/etc/annealer/job/job.yaml:ro,Z" \
    -v "$work/checkpoints:/var/lib/annealer/checkpoints:Z" "$ref" \
    train -f /etc/annealer/job/job.yaml --checkpoint-dir /var/lib/annealer/checkpoints --device "$device" >&2
  log "trainer exit 0; checkpoints written: $(ls "$work/checkpoints" | tr '\n' ' ')"
  verify_trainer_hf "$ref" "$device" "$work" "${mounts[@]}"
  rm -rf "$work"
}

# The flagship LoRA example (examples/support-assistant-lora.yaml: tiny Llama, tokenizer.json, PEFT export) for 6
# steps, read-only as uid 10001 with no network. The Hugging Face tokenizer's native library must come from the
# image's baked DJL cache: DJL_CACHE_DIR is on the read-only root, so DJL could not unpack it there, and the check
# after the run finds no copy of it anywhere else (e.g. the writable /tmp).
verify_trainer_hf() { # $1 = image ref, $2 = device, $3 = work dir, $4... = extra podman mounts
  local ref=$1 device=$2 work=$3 out baked
  shift 3
  log "verify $ref: the flagship LoRA example for 6 steps (tokenizer, LoRA, eval, PEFT export), read-only, uid 10001"
  sed -e 's/maxSteps: 200/maxSteps: 6/' -e 's/evalEverySteps: 50/evalEverySteps: 3/' -e 's/everySteps: 50/everySteps: 3/' \
    -e 's/warmup: {steps: 25,/warmup: {steps: 2,/' "$ROOT/examples/support-assistant-lora.yaml" >"$work/hf-job.yaml"
  grep -q 'maxSteps: 6$' "$work/hf-job.yaml" || die "examples/support-assistant-lora.yaml changed: update verify_trainer_hf's edits"
  rm -rf "$work/hf-checkpoints" && mkdir -p "$work/hf-checkpoints" && chown 10001:10001 "$work/hf-checkpoints"
  out=$(podman run --rm "${RUN_FLAGS[@]}" --network none "$@" -v "$work/hf-job.yaml:/etc/annealer/job/job.yaml:ro,Z" \
    -v "$work/hf-checkpoints:/var/lib/annealer/checkpoints:Z" --entrypoint sh "$ref" -c '
      annealer-trainer train -f /etc/annealer/job/job.yaml --checkpoint-dir /var/lib/annealer/checkpoints \
        --device "$0" --log-every 3 2>&1 || exit $?
      echo "baked: $(find "$DJL_CACHE_DIR" -name "*tokenizers*.so" | tr "\n" " ")"
      echo "copies elsewhere: $(find / /tmp -xdev -name "*tokenizers*.so" -not -path "$DJL_CACHE_DIR/*" 2>/dev/null | wc -l)"
    ' "$device") || die "the flagship LoRA job failed in $ref"
  echo "$out" >&2
  baked=$(echo "$out" | sed -n 's/^baked: //p')
  [[ $baked == *tokenizers*.so* ]] || die "$ref: no tokenizers library in the baked DJL cache"
  [[ $(echo "$out" | sed -n 's/^copies elsewhere: //p') == 0 ]] || die "$ref: the tokenizers library was unpacked outside the baked cache"
  echo "$out" | grep -q 'event=eval step=6 validationLoss=[0-9.]* validationPerplexity=' || die "$ref: no evaluation at step 6"
  [[ -f "$work/hf-checkpoints/final/adapter_model.safetensors" && -f "$work/hf-checkpoints/final/merged/model.safetensors" ]] \
    || die "$ref: final/ has no PEFT adapter and merged model"
  log "flagship LoRA exit 0; tokenizer loaded from the baked cache ($baked); final/: $(ls "$work/hf-checkpoints/final" | tr '\n' ' ')"
}

push() { # $1 = registry (host[:port]/path)
  local to=$1 ref
  for ref in "$OPERATOR_REF" "$TRAINER_REF" "$TRAINER_CUDA_REF"; do
    podman image exists "$ref" || continue
    local dest="$to/${ref#"$IMAGE_REGISTRY"/}"
    podman tag "$ref" "$dest"
    podman push ${PUSH_FLAGS:-} "$dest" >&2
    echo "$dest"
  done
}

# push-local: the project's own OCI registry on 127.0.0.1 (hack/registry.sh), the images and the chart pushed to it.
push_local() {
  local data="${ANNEALER_REGISTRY_DIR:-$CACHE/registry}" port pid t0 tmp helm ref version
  t0=$(now)
  port=$(free_port)
  helm=$(bash "$ROOT/hack/helm.sh")
  bash "$ROOT/hack/registry.sh" >/dev/null
  bash "$ROOT/hack/registry.sh" serve "$data" "$port" >"$CACHE/registry.log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || die "the registry did not start: $(cat "$CACHE/registry.log")"
  log "registry on 127.0.0.1:$port (storage $data)"
  local skip_cuda=true
  [[ "${PUSH_CUDA:-0}" == 1 ]] && skip_cuda=false
  for ref in "$OPERATOR_REF" "$TRAINER_REF" "$TRAINER_CUDA_REF"; do
    [[ $ref == "$TRAINER_CUDA_REF" ]] && $skip_cuda && { log "skipping $ref (PUSH_CUDA=1 pushes it)"; continue; }
    podman image exists "$ref" || die "$ref is not built: make images first"
    local dest="127.0.0.1:$port/annealer/${ref#"$IMAGE_REGISTRY"/}" name tag
    podman tag "$ref" "$dest"
    podman push --tls-verify=false "$dest" >&2
    podman rmi "$dest" >/dev/null  # the tag only; the image stays under its own name
    name=${dest#*/}; tag=${name##*:}; name=${name%:*}
    curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://127.0.0.1:$port/v2/$name/manifests/$tag" || die "$dest: manifest not served after the push"
    echo "$dest"
  done
  tmp=$(mktemp -d)
  version=$(sed -n 's/^version: *//p' "$ROOT/charts/annealer/Chart.yaml")
  "$helm" package "$ROOT/charts/annealer" -d "$tmp" >&2
  "$helm" push "$tmp/annealer-$version.tgz" "oci://127.0.0.1:$port/charts" --plain-http >&2
  "$helm" show chart "oci://127.0.0.1:$port/charts/annealer" --version "$version" --plain-http >/dev/null
  rm -rf "$tmp"
  echo "oci://127.0.0.1:$port/charts/annealer --version $version"
  log "pushed in $(($(now) - t0)) s; catalog: $(curl -sf "http://127.0.0.1:$port/v2/_catalog")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  trap - EXIT
}

mode="${1:-all}"
if [[ $mode == verify ]]; then
  ensure_tools curl:curl openssl:openssl python3:python3 gcc:gcc readelf:binutils
else
  ensure_tools
fi
mkdir -p "$CACHE"
case "$mode" in
  tools) ;;
  base) base_image; echo "$BASE_REF" ;;
  operator) base_image; operator_image ;;   # from the last mvn package, no Maven run
  trainer) base_image; trainer_image ;;     # idem
  all | cpu)
    t0=$(now)
    base_image
    maven_package
    operator_image
    trainer_image
    log "cpu images in $(($(now) - t0)) s"
    if [[ $mode == all ]]; then
      t1=$(now)
      trainer_cuda_image
      log "cuda image in $(($(now) - t1)) s"
    fi
    ;;
  cuda)
    t0=$(now)
    base_image
    [[ -f "$ROOT/trainer-image/target/annealer-trainer.jar" ]] || (cd "$ROOT" && $MVN -q -pl trainer-image -am package -DskipTests) >&2
    trainer_cuda_image
    log "cuda image in $(($(now) - t0)) s"
    ;;
  verify)
    what=("${@:2}")
    ((${#what[@]})) || what=(operator trainer cuda)
    for w in "${what[@]}"; do
      case "$w" in
        operator) verify_operator ;;
        trainer) verify_trainer "$TRAINER_REF" cpu ;;
        cuda) if podman image exists "$TRAINER_CUDA_REF"; then verify_trainer "$TRAINER_CUDA_REF" cpu
              else log "no $TRAINER_CUDA_REF: skipped (make images-cuda)"; fi ;;
        *) die "verify what? operator, trainer or cuda (got '$w')" ;;
      esac
    done
    ;;
  push-local) push_local ;;
  push)
    [[ -n "${2:-}" ]] || die "usage: hack/images.sh push REGISTRY (e.g. 127.0.0.1:5000/annealer)"
    push "$2"
    ;;
  *) die "unknown mode '$mode' (all, cpu, cuda, verify, push REGISTRY, push-local, tools)" ;;
esac
