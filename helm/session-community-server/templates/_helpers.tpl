{{/* Chart name, cut to the 63 characters of a DNS label. */}}
{{- define "scs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: <release>-<chart>, or the release name when it already holds the chart name. */}}
{{- define "scs.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "scs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "scs.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "scs.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Name of the Secret with the server key and the storage master key. */}}
{{- define "scs.keysSecret" -}}
{{- if .Values.keys.existingSecret -}}
{{- .Values.keys.existingSecret -}}
{{- else -}}
{{- include "scs.fullname" . }}-keys
{{- end -}}
{{- end -}}

{{/* Connection settings that are secrets: from an existing Secret by name, else from the chart's -env Secret. */}}
{{- define "scs.secretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret | default (printf "%s-env" (include "scs.fullname" .)) }}
      key: {{ ternary .Values.database.existingSecretKey "DATABASE_URL" (ne .Values.database.existingSecret "") }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret | default (printf "%s-env" (include "scs.fullname" .)) }}
      key: {{ ternary .Values.redis.existingSecretKey "REDIS_URL" (ne .Values.redis.existingSecret "") }}
{{- if eq .Values.storage.driver "s3" }}
- name: S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.storage.s3.existingSecret | default (printf "%s-env" (include "scs.fullname" .)) }}
      key: {{ ternary .Values.storage.s3.accessKeyKey "S3_ACCESS_KEY" (ne .Values.storage.s3.existingSecret "") }}
- name: S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.storage.s3.existingSecret | default (printf "%s-env" (include "scs.fullname" .)) }}
      key: {{ ternary .Values.storage.s3.secretKeyKey "S3_SECRET_KEY" (ne .Values.storage.s3.existingSecret "") }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by the API, the worker and the migration Job. */}}
{{- define "scs.podSettings" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* Volumes of the API and worker pods: /tmp, the keys (mode 288 = 0440, read through fsGroup), the fs storage claim. */}}
{{- define "scs.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: keys
  secret:
    secretName: {{ include "scs.keysSecret" . }}
    defaultMode: 288
{{- if eq .Values.storage.driver "fs" }}
- name: files
  persistentVolumeClaim:
    claimName: {{ .Values.storage.fs.existingClaim }}
{{- end }}
{{- end -}}

{{- define "scs.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: keys
  mountPath: /keys
  readOnly: true
{{- if eq .Values.storage.driver "fs" }}
- name: files
  mountPath: /data/files
{{- end }}
{{- end -}}

{{/* The API/worker container's environment: the ConfigMap, then the secret connection settings. */}}
{{- define "scs.envFrom" -}}
- configMapRef:
    name: {{ include "scs.fullname" . }}-config
{{- end -}}
