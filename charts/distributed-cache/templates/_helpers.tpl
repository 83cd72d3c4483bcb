{{/*
The name every object of the operator shares, as in manifests/. It is fixed,
not derived from the release: the CRD and the ClusterRole are cluster-wide,
so a cluster holds one installation whatever it is called.
*/}}
{{- define "distributed-cache.name" -}}
distributed-cache-operator
{{- end }}

{{/*
The labels Helm adds to each object, on top of those manifests/ gives it.
test/integration/helm strips exactly these when it compares the two.
*/}}
{{- define "distributed-cache.helmLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* Every object's labels: the kustomization's common label, then Helm's. */}}
{{- define "distributed-cache.labels" -}}
app.kubernetes.io/part-of: distributed-cache
{{ include "distributed-cache.helmLabels" . }}
{{- end }}

{{/* The operator's image, which is also the data plane's (DATAPLANE_IMAGE). */}}
{{- define "distributed-cache.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
Renders a file of files/ as it is, adding the labels above, the release
namespace (to a namespaced object) and any "annotations" and "labels" given
(the file's own labels and the ones above win over those). The files are
links to the ones in crds/ and manifests/ that kustomize applies, so those
objects have a single copy. Call: (dict "root" $ "file" PATH ["annotations" DICT] ["labels" DICT]).
*/}}
{{- define "distributed-cache.verbatim" -}}
{{- include "distributed-cache.object" (dict "root" .root "object" (include "distributed-cache.file" .) "annotations" .annotations "labels" .labels) }}
{{- end }}

{{/* A file of files/ as YAML, checked to be one object. Call: (dict "root" $ "file" PATH). */}}
{{- define "distributed-cache.file" -}}
{{- $object := .root.Files.Get .file | fromYaml }}
{{- if or (not $object) (hasKey $object "Error") }}
{{- fail (printf "chart file %s is missing or not one YAML object: %v" .file (get $object "Error")) }}
{{- end }}
{{- toYaml $object }}
{{- end }}

{{/* What verbatim does, to an object given as YAML (a file's, changed first). */}}
{{- define "distributed-cache.object" -}}
{{- $object := .object | fromYaml }}
{{- $meta := $object.metadata }}
{{- $_ := set $meta "labels" (merge (include "distributed-cache.labels" .root | fromYaml) ($meta.labels | default dict) (deepCopy (.labels | default dict))) }}
{{- with .annotations }}
{{- $_ := set $meta "annotations" (merge (deepCopy .) ($meta.annotations | default dict)) }}
{{- end }}
{{- if not (has $object.kind (list "CustomResourceDefinition" "ClusterRole" "ClusterRoleBinding" "Namespace")) }}
{{- $_ := set $meta "namespace" .root.Release.Namespace }}
{{- end }}
{{- toYaml $object }}
{{- end }}
