{{/*
Names and labels shared by every template of the chart.
*/}}

{{/* The chart's name: "wordpress". */}}
{{- define "wordpress.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's base name: RELEASE-wordpress, or RELEASE alone when it already says
"wordpress" (so `helm install wordpress .` does not give wordpress-wordpress).
Kubernetes names stop at 63 characters.
*/}}
{{- define "wordpress.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The database's name: RELEASE-mariadb. */}}
{{- define "wordpress.mariadb.fullname" -}}
{{- printf "%s-mariadb" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret holding the database passwords. */}}
{{- define "wordpress.secretName" -}}
{{- printf "%s-db" (include "wordpress.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "wordpress-0.1.0", for the helm.sh/chart label. */}}
{{- define "wordpress.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels every object carries (the recommended app.kubernetes.io set). */}}
{{- define "wordpress.labels" -}}
helm.sh/chart: {{ include "wordpress.chart" . }}
app.kubernetes.io/part-of: {{ include "wordpress.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: call with (list . "wordpress") or (list . "mariadb"). */}}
{{- define "wordpress.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end }}

{{/*
A password: the value given, else the one already in the release's Secret (so an upgrade
keeps it), else a new random one. `lookup` reads the cluster; it finds nothing under
`helm template`, which then shows a fresh random value.
*/}}
{{- define "wordpress.password" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $given := index . 2 -}}
{{- if $given -}}
{{- $given | b64enc -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" $root.Release.Namespace (include "wordpress.secretName" $root) -}}
{{- if and $existing (index ($existing.data | default dict) $key) -}}
{{- index $existing.data $key -}}
{{- else -}}
{{- randAlphaNum 24 | b64enc -}}
{{- end -}}
{{- end -}}
{{- end }}
