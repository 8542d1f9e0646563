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
