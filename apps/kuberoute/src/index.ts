/** DNS records (Route53, SkyDNS on etcd) for labelled NodePort services, with failover, quota and S3 state reports; drop-in for schneevonmorgen/kuberoute. */
export {};
