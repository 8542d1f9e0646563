//go:build tools

// Package tools pins krew (sigs.k8s.io/krew/cmd/krew), the kubectl plugin manager, for hack/krew.sh: KubectlPluginE2E
// installs the packaged plugin with the real `kubectl krew install --manifest --archive`, which validates the manifest.
package tools

import _ "sigs.k8s.io/krew/cmd/krew"
