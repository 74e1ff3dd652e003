/** Pod-level nginx router driven by namespace and pod annotations, with API keys and per-host TLS; drop-in for 30x/dispatcher. */
export {};
