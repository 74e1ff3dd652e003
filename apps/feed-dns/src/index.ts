/** Keeps Route53 records for ingress hosts pointing at the right load balancer; drop-in for sky-uk/feed's feed-dns. */
export {};
