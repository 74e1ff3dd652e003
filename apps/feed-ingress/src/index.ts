/** nginx ingress controller configured from Ingresses, attaching the node to ELB/NLB/ALB or gorb; drop-in for sky-uk/feed's feed-ingress. */
export {};
