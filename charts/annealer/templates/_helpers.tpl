{{- define "annealer.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "annealer.labels" -}}
app.kubernetes.io/name: annealer-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "annealer.selectorLabels" -}}
app.kubernetes.io/name: annealer-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "annealer.serviceAccountName" -}}
{{- default (include "annealer.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "annealer.operatorImage" -}}
{{- printf "%s/%s:%s" .Values.imageRegistry .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "annealer.trainerImage" -}}
{{- .Values.trainer.image | default (printf "%s/annealer-trainer:%s" .Values.imageRegistry .Chart.AppVersion) -}}
{{- end -}}

{{- define "annealer.trainerGpuImage" -}}
{{- .Values.trainer.gpuImage | default (printf "%s/annealer-trainer:%s-cu124" .Values.imageRegistry .Chart.AppVersion) -}}
{{- end -}}

{{- /* The operator container's http port (health, metrics); fixed by the image (quarkus.http.port). */ -}}
{{- define "annealer.httpPort" -}}
8080
{{- end -}}

{{- /* The Secret in the release namespace holding the key every job's progress token is derived from. */ -}}
{{- define "annealer.progressKeySecret" -}}
{{- printf "%s-progress-key" (include "annealer.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /*
Namespaces of watchNamespaces that get a RoleBinding (and a trainer NetworkPolicy): all of them when rendering
offline (helm template, --dry-run: lookup answers nothing, not even kube-system), else those that exist now.
*/ -}}
{{- define "annealer.boundNamespaces" -}}
{{- $offline := not (lookup "v1" "Namespace" "" "kube-system") -}}
{{- $out := list -}}
{{- range $ns := .Values.watchNamespaces -}}
{{- if or $offline (lookup "v1" "Namespace" "" $ns) -}}
{{- $out = append $out $ns -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{- /* Namespaces of watchNamespaces that do not exist (empty when rendering offline). */ -}}
{{- define "annealer.missingNamespaces" -}}
{{- $bound := include "annealer.boundNamespaces" . | fromJsonArray -}}
{{- $out := list -}}
{{- range $ns := .Values.watchNamespaces -}}
{{- if not (has $ns $bound) -}}
{{- $out = append $out $ns -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
