/** Typed REST client for gorb (IPVS), the GorbFrontend that registers this node as a backend, and loopback VIP management. */
export {};
