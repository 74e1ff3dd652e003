{{- define "feed-ingress.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "feed-ingress.fullname" -}}
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

{{- define "feed-ingress.selectorLabels" -}}
app.kubernetes.io/name: {{ include "feed-ingress.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "feed-ingress.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "feed-ingress.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "feed-ingress.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "feed-ingress.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* True ("true") when nginx binds a port below 1024: it then needs NET_BIND_SERVICE. */}}
{{- define "feed-ingress.lowPorts" -}}
{{- $low := false -}}
{{- range $p := list .Values.ports.http .Values.ports.https .Values.ports.nginxHealth -}}
{{- if and (gt (int $p) 0) (lt (int $p) 1024) -}}{{- $low = true -}}{{- end -}}
{{- end -}}
{{- if $low -}}true{{- end -}}
{{- end -}}

{{/* True ("true") for gorb with loopback management: ip addr needs NET_ADMIN. */}}
{{- define "feed-ingress.netAdmin" -}}
{{- if and (eq .Values.frontend.type "gorb") .Values.frontend.gorb.managementLoopback -}}true{{- end -}}
{{- end -}}

{{- define "feed-ingress.args" -}}
- {{ .Values.frontend.type }}
- {{ print "--ingress-class=" (.Values.ingressClass) | quote }}
- {{ print "--ingress-class-controller=" (.Values.ingressClassController) | quote }}
{{- if gt (int .Values.ports.http) 0 }}
- {{ print "--ingress-port=" (.Values.ports.http) | quote }}
{{- end }}
{{- if gt (int .Values.ports.https) 0 }}
- {{ print "--ingress-https-port=" (.Values.ports.https) | quote }}
{{- end }}
- {{ print "--ingress-health-port=" (.Values.ports.nginxHealth) | quote }}
- {{ print "--health-port=" (.Values.ports.health) | quote }}
- --nginx-workdir=/nginx
{{- if and (eq (include "feed-ingress.lowPorts" .) "true") (ne (include "feed-ingress.netAdmin" .) "true") }}
- --nginx-binary=/usr/local/lib/feed-ingress/nginx-net-bind
{{- end }}
- {{ print "--nginx-update-period=" (.Values.nginx.updatePeriod) | quote }}
- {{ print "--nginx-workers=" (.Values.nginx.workers) | quote }}
- {{ print "--nginx-worker-connections=" (.Values.nginx.workerConnections) | quote }}
- {{ print "--nginx-allow-websocket-upgrade=" (.Values.nginx.allowWebsocketUpgrade) | quote }}
- {{ print "--nginx-proxy-protocol=" (.Values.nginx.proxyProtocol) | quote }}
- {{ print "--leader-election=" (.Values.leaderElection.enabled) | quote }}
- {{ print "--leader-election-name=" (include "feed-ingress.fullname" .) | quote }}
- {{ print "--log-level=" (.Values.logLevel) | quote }}
- {{ print "--log-format=" (.Values.logFormat) | quote }}
{{- if eq .Values.frontend.type "elb" }}
- {{ print "--region=" (.Values.frontend.region) | quote }}
- {{ print "--elb-frontend-tag-value=" (.Values.frontend.elb.frontendTagValue) | quote }}
- {{ print "--elb-expected-number=" (.Values.frontend.elb.expectedNumber) | quote }}
- {{ print "--drain-delay=" (.Values.frontend.drainDelay) | quote }}
{{- else if eq .Values.frontend.type "nlb" }}
- {{ print "--region=" (.Values.frontend.region) | quote }}
- {{ print "--nlb-frontend-tag-value=" (.Values.frontend.nlb.frontendTagValue) | quote }}
- {{ print "--nlb-expected-number=" (.Values.frontend.nlb.expectedNumber) | quote }}
- {{ print "--drain-delay=" (.Values.frontend.drainDelay) | quote }}
{{- else if eq .Values.frontend.type "alb" }}
- {{ print "--region=" (.Values.frontend.region) | quote }}
- {{ print "--alb-target-group-names=" (join "," .Values.frontend.alb.targetGroupNames) | quote }}
- {{ print "--alb-target-group-deregistration-delay=" (.Values.frontend.alb.deregistrationDelay) | quote }}
{{- else if eq .Values.frontend.type "gorb" }}
- {{ print "--gorb-endpoint=" (.Values.frontend.gorb.endpoint) | quote }}
- --gorb-ingress-instance-ip=$(GORB_INSTANCE_IP)
- {{ print "--gorb-services-definition=" (.Values.frontend.gorb.servicesDefinition) | quote }}
- {{ print "--gorb-backend-method=" (.Values.frontend.gorb.backendMethod) | quote }}
- {{ print "--gorb-backend-weight=" (.Values.frontend.gorb.backendWeight) | quote }}
- {{ print "--gorb-vip-loadbalancer=" (.Values.frontend.gorb.vipLoadbalancer) | quote }}
- {{ print "--gorb-management-loopback=" (.Values.frontend.gorb.managementLoopback) | quote }}
- --gorb-interface-proc-fs-path=/host-ipv4-proc/
- {{ print "--gorb-backend-healthcheck-interval=" (.Values.frontend.gorb.healthcheckInterval) | quote }}
- {{ print "--gorb-backend-healthcheck-type=" (.Values.frontend.gorb.healthcheckType) | quote }}
- {{ print "--drain-delay=" (.Values.frontend.drainDelay) | quote }}
{{- else if eq .Values.frontend.type "static" }}
- {{ print "--internal-hostname=" (.Values.frontend.static.internalHostname) | quote }}
- {{ print "--external-hostname=" (.Values.frontend.static.externalHostname) | quote }}
- {{ print "--drain-delay=" (.Values.frontend.drainDelay) | quote }}
{{- end }}
{{- if .Values.defaultSsl.secretName }}
- --ssl-path=/etc/ssl/default-ssl/tls
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* True ("true") when the frontend registers the node itself (elb, nlb, alb, gorb): nginx must then listen on the node. */}}
{{- define "feed-ingress.nodeAttached" -}}
{{- if has .Values.frontend.type (list "elb" "nlb" "alb" "gorb") -}}true{{- end -}}
{{- end -}}

{{/* The workload kind: .Values.kind, or, when empty, DaemonSet for node-attaching frontends and Deployment otherwise. */}}
{{- define "feed-ingress.kind" -}}
{{- if .Values.kind -}}{{ .Values.kind }}{{- else if eq (include "feed-ingress.nodeAttached" .) "true" -}}DaemonSet{{- else -}}Deployment{{- end -}}
{{- end -}}

{{/* "true" when the pods use the node's network: .Values.hostNetwork, or, when empty, for node-attaching frontends. */}}
{{- define "feed-ingress.hostNetwork" -}}
{{- if kindIs "bool" .Values.hostNetwork -}}{{ ternary "true" "" .Values.hostNetwork }}{{- else if eq (include "feed-ingress.nodeAttached" .) "true" -}}true{{- end -}}
{{- end -}}

{{/* "true" when feed-ingress may read Secrets: .Values.rbac.secrets, or, when empty, when an HTTPS port is configured. */}}
{{- define "feed-ingress.secretsAccess" -}}
{{- if kindIs "bool" .Values.rbac.secrets -}}{{ ternary "true" "" .Values.rbac.secrets }}{{- else if gt (int .Values.ports.https) 0 -}}true{{- end -}}
{{- end -}}

{{/*
The container's security context: what the ports and the frontend need, then .Values.securityContext
merged over it (a key set in values wins; each key appears once).
gorb with loopback management: ip addr and the ARP sysctls need NET_ADMIN in the controller itself,
so it runs as root holding only these capabilities (nginx's master, as root, needs SETUID/SETGID/CHOWN
to start its workers as nobody). A port below 1024: the nginx copy with the NET_BIND_SERVICE file
capability is used (see the Dockerfile), which needs the capability in the bounding set and exec to
be allowed to raise it.
*/}}
{{- define "feed-ingress.containerSecurityContext" -}}
{{- $ctx := dict -}}
{{- if eq (include "feed-ingress.netAdmin" .) "true" -}}
{{- $add := list "NET_ADMIN" "SETUID" "SETGID" "CHOWN" -}}
{{- if eq (include "feed-ingress.lowPorts" .) "true" -}}{{- $add = append $add "NET_BIND_SERVICE" -}}{{- end -}}
{{- $ctx = dict "runAsUser" 0 "runAsNonRoot" false "allowPrivilegeEscalation" false "capabilities" (dict "drop" (list "ALL") "add" $add) -}}
{{- else if eq (include "feed-ingress.lowPorts" .) "true" -}}
{{- $ctx = dict "allowPrivilegeEscalation" true "capabilities" (dict "drop" (list "ALL") "add" (list "NET_BIND_SERVICE")) -}}
{{- else -}}
{{- $ctx = dict "allowPrivilegeEscalation" false "capabilities" (dict "drop" (list "ALL")) -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite $ctx (deepCopy (.Values.securityContext | default dict))) -}}
{{- end -}}
