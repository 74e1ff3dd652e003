/** Attach and detach a node to classic ELBs and ALB/NLB target groups; EC2 instance metadata (IMDSv2); frontend discovery by tags and names. */
export {};
