#!/usr/bin/env bash
# Builds the c10d JNI bridge (trainer-image/src/main/native/annealer_c10d.cc): PyTorch's own collectives (c10d
# ProcessGroupGloo + TCPStore, already inside DJL's libtorch_cpu.so) called on the tensors DJL holds.
#
#   hack/c10d-bridge.sh [--native-jar JAR] [--out FILE]
#
# Compiles with g++ against the headers of the matching torch wheel from PyPI (torch/include only, cached in
# ~/.cache/annealer/torch-headers-<version>) and Debian's libgloo-dev headers (cached in ~/.cache/annealer/gloo-headers),
# and links against DJL's libtorch (libtorch_cpu.so, libc10.so) taken from the pytorch-native-cpu jar Maven resolved
# (or $ANNEALER_LIBTORCH_DIR). The library is cached in ~/.cache/annealer/c10d-bridge/<hash of inputs>/ and copied to
# --out (default trainer-image/target/native/libannealer_c10d.so). Idempotent; ~1 s when warm, ~1-2 min cold (the
# 900 MB wheel download is the bulk). Nothing built here is committed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TORCH_VERSION="${TORCH_VERSION:-2.5.1}"
cache="${ANNEALER_CACHE:-$HOME/.cache/annealer}"
src="$root/trainer-image/src/main/native/annealer_c10d.cc"
out="$root/trainer-image/target/native/libannealer_c10d.so"
jar="${HOME}/.m2/repository/ai/djl/pytorch/pytorch-native-cpu/${TORCH_VERSION}/pytorch-native-cpu-${TORCH_VERSION}-linux-x86_64.jar"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --native-jar) jar="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "c10d-bridge.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { echo "c10d-bridge: $*" >&2; }

# 1. torch headers (the wheel's torch/include; the wheel itself is deleted afterwards)
headers="$cache/torch-headers-$TORCH_VERSION"
if [[ ! -f "$headers/include/torch/csrc/distributed/c10d/ProcessGroupGloo.hpp" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  log "downloading torch==$TORCH_VERSION from PyPI for its headers"
  python3 -m pip download -q "torch==$TORCH_VERSION" --no-deps --only-binary=:all: --platform manylinux1_x86_64 \
    --python-version 3.11 -d "$tmp"
  python3 - "$tmp" "$headers.partial" <<'PY'
import sys, zipfile, glob, os
wheel = glob.glob(os.path.join(sys.argv[1], "torch-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        if n.startswith("torch/include/") and not n.endswith("/"):
            z.extract(n, sys.argv[2])
PY
  rm -rf "$headers"
  mkdir -p "$headers"
  mv "$headers.partial/torch/include" "$headers/include"
  rm -rf "$headers.partial" "$tmp"
  trap - EXIT
fi

# 2. gloo headers: the wheel has none; ProcessGroupGloo.hpp only needs gloo's declarations (Debian's libgloo-dev)
gloo="$cache/gloo-headers"
if [[ ! -f "$gloo/include/gloo/rendezvous/store.h" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  log "fetching Debian's libgloo-dev for the gloo headers"
  (cd "$tmp" && { apt-get download libgloo-dev >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download libgloo-dev >/dev/null 2>&1; }; })
  dpkg -x "$tmp"/libgloo-dev_*.deb "$tmp/x"
  rm -rf "$gloo"
  mkdir -p "$gloo/include"
  cp -r "$tmp/x/usr/include/gloo" "$gloo/include/"
  rm -rf "$tmp"
  trap - EXIT
fi

# 3. DJL's libtorch, to link against (the same files DJL loads at run time: matched by soname then)
libdir="${ANNEALER_LIBTORCH_DIR:-}"
if [[ -z "$libdir" ]]; then
  libdir="$cache/c10d-bridge/libtorch-$TORCH_VERSION-cpu"
  if [[ ! -f "$libdir/libtorch_cpu.so" ]]; then
    if [[ ! -f "$jar" ]]; then
      log "no pytorch-native-cpu jar at $jar: build the trainer module with Maven first (it resolves the jar), or set ANNEALER_LIBTORCH_DIR"
      exit 1
    fi
    mkdir -p "$libdir.partial"
    unzip -o -q -j "$jar" "pytorch/cpu/linux-x86_64/libtorch_cpu.so" "pytorch/cpu/linux-x86_64/libc10.so" \
      "pytorch/cpu/linux-x86_64/libgomp-*" -d "$libdir.partial"
    rm -rf "$libdir"
    mv "$libdir.partial" "$libdir"
  fi
fi

# 4. the C++ ABI libtorch was built with (std::__cxx11 strings in c10d::TCPStore's exported constructor => new ABI)
symbols="$(nm -D --defined-only "$libdir/libtorch_cpu.so")"
if grep -q '_ZN4c10d8TCPStoreC.*__cxx11' <<<"$symbols"; then abi=1; else abi=0; fi
grep -q '_ZN4c10d16ProcessGroupGloo9allreduce' <<<"$symbols" \
  || { log "$libdir/libtorch_cpu.so does not export c10d::ProcessGroupGloo: no Gloo in this libtorch"; exit 1; }

java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || command -v java)")")")}"
key="$( { cat "$src" "${BASH_SOURCE[0]}"; echo "$TORCH_VERSION abi=$abi"; g++ --version | head -1; } | sha256sum | cut -c1-16)"
built="$cache/c10d-bridge/$key/libannealer_c10d.so"
if [[ ! -f "$built" ]]; then
  log "compiling $(basename "$src") (libtorch $TORCH_VERSION, _GLIBCXX_USE_CXX11_ABI=$abi)"
  mkdir -p "$(dirname "$built")"
  g++ -std=c++17 -O2 -fPIC -shared -D_GLIBCXX_USE_CXX11_ABI=$abi -DUSE_C10D_GLOO \
    -isystem "$headers/include" -isystem "$headers/include/torch/csrc/api/include" -isystem "$gloo/include" \
    -I"$java_home/include" -I"$java_home/include/linux" \
    "$src" -o "$built.tmp" -L"$libdir" -Wl,--no-as-needed -ltorch_cpu -lc10 -Wl,-rpath,'$ORIGIN'
  mv "$built.tmp" "$built"
fi
mkdir -p "$(dirname "$out")"
cp "$built" "$out.tmp" && mv "$out.tmp" "$out"
echo "$out"
