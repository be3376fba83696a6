{{- define "clusterconnect.operatorName" -}}{{ .Release.Name }}-operator{{- end }}

{{- define "clusterconnect.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "clusterconnect.labels" -}}
app.kubernetes.io/name: clusterconnect-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: clusterconnect
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "clusterconnect.selectorLabels" -}}
app.kubernetes.io/name: clusterconnect-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
