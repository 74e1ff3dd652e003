/**
 * Variables nginx 1.22 (Debian build: core, proxy, upstream, realip, ssl, stub_status, gzip,
 * http2) defines. A reference to anything else makes `nginx -t` fail with "unknown variable",
 * so the validator refuses it up front.
 */
export const NGINX_BUILTIN_VARIABLES: ReadonlySet<string> = new Set([
  'args', 'binary_remote_addr', 'body_bytes_sent', 'bytes_sent', 'connection', 'connection_requests', 'connection_time',
  'content_length', 'content_type', 'document_root', 'document_uri', 'host', 'hostname', 'https', 'is_args', 'limit_rate',
  'msec', 'nginx_version', 'pid', 'pipe', 'proxy_protocol_addr', 'proxy_protocol_port', 'proxy_protocol_server_addr',
  'proxy_protocol_server_port', 'query_string', 'realpath_root', 'remote_addr', 'remote_port', 'remote_user', 'request',
  'request_body', 'request_body_file', 'request_completion', 'request_filename', 'request_id', 'request_length',
  'request_method', 'request_time', 'request_uri', 'scheme', 'server_addr', 'server_name', 'server_port', 'server_protocol',
  'status', 'tcpinfo_rtt', 'tcpinfo_rttvar', 'tcpinfo_snd_cwnd', 'tcpinfo_rcv_space', 'time_iso8601', 'time_local', 'uri',
  'proxy_host', 'proxy_port', 'proxy_add_x_forwarded_for',
  'upstream_addr', 'upstream_bytes_received', 'upstream_bytes_sent', 'upstream_cache_status', 'upstream_connect_time',
  'upstream_header_time', 'upstream_queue_time', 'upstream_response_length', 'upstream_response_time', 'upstream_status',
  'realip_remote_addr', 'realip_remote_port',
  'ssl_alpn_protocol', 'ssl_cipher', 'ssl_ciphers', 'ssl_client_cert', 'ssl_client_escaped_cert', 'ssl_client_fingerprint',
  'ssl_client_i_dn', 'ssl_client_i_dn_legacy', 'ssl_client_raw_cert', 'ssl_client_s_dn', 'ssl_client_s_dn_legacy',
  'ssl_client_serial', 'ssl_client_v_end', 'ssl_client_v_remain', 'ssl_client_v_start', 'ssl_client_verify', 'ssl_curve',
  'ssl_curves', 'ssl_early_data', 'ssl_protocol', 'ssl_server_name', 'ssl_session_id', 'ssl_session_reused',
  'connections_active', 'connections_reading', 'connections_writing', 'connections_waiting',
  'gzip_ratio', 'http2',
]);

/** Prefixes of nginx's variable families (`$http_user_agent`, `$arg_page`, ...). */
export const NGINX_VARIABLE_PREFIXES: readonly string[] = [
  'http_', 'arg_', 'cookie_', 'sent_http_', 'sent_trailer_', 'upstream_http_', 'upstream_cookie_', 'upstream_trailer_',
];

/**
 * Whether nginx knows `$name`: a built-in, a family prefix with a non-empty suffix, or one of
 * `defined` (map targets of the same config). nginx compares variable names case-insensitively.
 */
export function isKnownVariable(name: string, defined: ReadonlySet<string> = new Set()): boolean {
  const n = name.toLowerCase();
  if (NGINX_BUILTIN_VARIABLES.has(n) || defined.has(n)) return true;
  return NGINX_VARIABLE_PREFIXES.some((p) => n.startsWith(p) && n.length > p.length);
}
