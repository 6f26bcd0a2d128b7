{{/* Labels every object of the release carries. */}}
{{- define "capstone.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{ include "capstone.selectorLabels" . }}
{{- end }}

{{/* The labels the Service and the Deployment select pods by. */}}
{{- define "capstone.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
