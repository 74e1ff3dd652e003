/** DNS providers for kube-edge: a pure plan (current vs desired, ownership), Route53, etcd/SkyDNS, in-memory and dry-run. */
export {};
