# Annealer: the two commands README gives are `make demo` (main job) and `make test` (all tests).
MVN ?= mvn -B
SHELL := /bin/bash

.PHONY: build test demo preview clean k8s-binaries helm status-check registry kueue regenerate images images-cpu images-cuda images-verify images-push bench-hf

build:
	$(MVN) -q -DskipTests install

# Real control-plane binaries (etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubectl) are built
# from the Go module proxy into ~/.cache/annealer/k8s (seconds when warm); the API-server tests need them.
k8s-binaries:
	bash hack/k8s-binaries.sh >/dev/null

# helm, built from the Go module proxy into ~/.cache/annealer/helm (seconds when warm): HelmChartIT installs the chart.
helm:
	bash hack/helm.sh >/dev/null

# annealer-status-check (kstatus of sigs.k8s.io/cli-utils + gopher-lua for the Argo CD health check), built from the
# Go module proxy into ~/.cache/annealer/status-check (about 2.5 min cold, instant warm): the GitOps tests run it.
status-check:
	bash hack/status-check.sh >/dev/null

# The CNCF distribution registry, built from the Go module proxy into ~/.cache/annealer/registry (seconds when warm):
# HelmOciRegistryIT pushes the chart to it on 127.0.0.1 and installs it from there.
registry:
	bash hack/registry.sh >/dev/null

# The Kueue manager (sigs.k8s.io/kueue), its CRDs and webhook manifests, built from the Go module proxy into
# ~/.cache/annealer/kueue (seconds when warm): KueueE2E runs it against the devcluster.
kueue:
	bash hack/kueue.sh >/dev/null

test: k8s-binaries helm status-check registry kueue
	$(MVN) verify

# OCI images (names and tags: images.properties), built with podman from Debian packages, no registry pulls:
# the operator, the trainer (CPU) and its CUDA flavour (-cu124, needs the 2.4 GB pytorch-native-cu124 jar).
# Multi-GB: not part of `make test`. Needs root (installs podman/buildah/runc/debootstrap when missing). See
# docs/operations/install.md.
images:
	bash hack/images.sh all

images-cpu:
	bash hack/images.sh cpu

images-cuda:
	bash hack/images.sh cuda

# Runs the built images read-only as uid 10001: the operator answers its health check, each trainer runs the
# quickstart for 30 steps and the flagship LoRA example for 6 (tokenizer library from the baked DJL cache).
images-verify:
	bash hack/images.sh verify

# Hugging Face training throughput, Annealer vs PyTorch eager (transformers + peft + torch.optim.AdamW), side by side:
# a ~52M-parameter Llama, full and LoRA fine-tune, same batches and threads. Creates a ~5 GB venv under
# ~/.cache/annealer/venv-hfbench on first use (hack/hfbench-venv.sh); not part of `make test`. See docs/benchmarks.md.
bench-hf:
	bash benchmarks/hf/run.sh

# The built images (CPU; PUSH_CUDA=1 adds the CUDA one) and the chart pushed to the project's OCI registry
# (hack/registry.sh) on 127.0.0.1, their manifests checked; the registry is stopped afterwards.
images-push:
	bash hack/images.sh push-local

# The main job: the quickstart on a local GPU cluster (devcluster + operator), preempted and resumed exactly;
# builds what is missing, cleans up on exit and Ctrl-C. See docs/demo.md.
demo:
	bash hack/demo.sh

preview:
	@test -f cli/target/annealer-cli.jar || $(MVN) -q -DskipTests install
	bin/annealer schedule preview -f examples/quickstart.yaml

# Rewrites the committed generated files (CRD, chart CRD copy, RBAC, reference docs) from the code.
regenerate:
	$(MVN) -q -pl crds,cli -am test -Dtest='Crd*Test,Reference*Test,CliReferenceTest' -Dsurefire.failIfNoSpecifiedTests=false -Dannealer.regenerate=true
	$(MVN) -q -pl operator -am package -Dregenerate=true

clean:
	$(MVN) -q clean
