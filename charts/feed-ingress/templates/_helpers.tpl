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
- --ingress-class={{ .Values.ingressClass }}
- --ingress-class-controller={{ .Values.ingressClassController }}
{{- if gt (int .Values.ports.http) 0 }}
- --ingress-port={{ .Values.ports.http }}
{{- end }}
{{- if gt (int .Values.ports.https) 0 }}
- --ingress-https-port={{ .Values.ports.https }}
{{- end }}
- --ingress-health-port={{ .Values.ports.nginxHealth }}
- --health-port={{ .Values.ports.health }}
- --nginx-workdir=/nginx
{{- if and (eq (include "feed-ingress.lowPorts" .) "true") (ne (include "feed-ingress.netAdmin" .) "true") }}
- --nginx-binary=/usr/local/lib/feed-ingress/nginx-net-bind
{{- end }}
- --nginx-update-period={{ .Values.nginx.updatePeriod }}
- --nginx-workers={{ .Values.nginx.workers }}
- --nginx-worker-connections={{ .Values.nginx.workerConnections }}
- --nginx-allow-websocket-upgrade={{ .Values.nginx.allowWebsocketUpgrade }}
- --nginx-proxy-protocol={{ .Values.nginx.proxyProtocol }}
- --leader-election={{ .Values.leaderElection.enabled }}
- --leader-election-name={{ include "feed-ingress.fullname" . }}
- --log-level={{ .Values.logLevel }}
- --log-format={{ .Values.logFormat }}
{{- if eq .Values.frontend.type "elb" }}
- --region={{ .Values.frontend.region }}
- --elb-frontend-tag-value={{ .Values.frontend.elb.frontendTagValue }}
- --elb-expected-number={{ .Values.frontend.elb.expectedNumber }}
- --drain-delay={{ .Values.frontend.drainDelay }}
{{- else if eq .Values.frontend.type "nlb" }}
- --region={{ .Values.frontend.region }}
- --nlb-frontend-tag-value={{ .Values.frontend.nlb.frontendTagValue }}
- --nlb-expected-number={{ .Values.frontend.nlb.expectedNumber }}
- --drain-delay={{ .Values.frontend.drainDelay }}
{{- else if eq .Values.frontend.type "alb" }}
- --region={{ .Values.frontend.region }}
- --alb-target-group-names={{ join "," .Values.frontend.alb.targetGroupNames }}
- --alb-target-group-deregistration-delay={{ .Values.frontend.alb.deregistrationDelay }}
{{- else if eq .Values.frontend.type "gorb" }}
- --gorb-endpoint={{ .Values.frontend.gorb.endpoint }}
- --gorb-ingress-instance-ip=$(GORB_INSTANCE_IP)
- --gorb-services-definition={{ .Values.frontend.gorb.servicesDefinition }}
- --gorb-backend-method={{ .Values.frontend.gorb.backendMethod }}
- --gorb-backend-weight={{ .Values.frontend.gorb.backendWeight }}
- --gorb-vip-loadbalancer={{ .Values.frontend.gorb.vipLoadbalancer }}
- --gorb-management-loopback={{ .Values.frontend.gorb.managementLoopback }}
- --gorb-interface-proc-fs-path=/host-ipv4-proc/
- --gorb-backend-healthcheck-interval={{ .Values.frontend.gorb.healthcheckInterval }}
- --gorb-backend-healthcheck-type={{ .Values.frontend.gorb.healthcheckType }}
- --drain-delay={{ .Values.frontend.drainDelay }}
{{- else if eq .Values.frontend.type "static" }}
- --internal-hostname={{ .Values.frontend.static.internalHostname }}
- --external-hostname={{ .Values.frontend.static.externalHostname }}
- --drain-delay={{ .Values.frontend.drainDelay }}
{{- end }}
{{- if .Values.defaultSsl.secretName }}
- --ssl-path=/etc/ssl/default-ssl/tls
{{- end }}
{{- range .Values.extraArgs }}
- {{ . }}
{{- end }}
{{- end -}}
