/** Injection-proof nginx.conf model, validation and renderer, and an nginx process manager that reloads safely. */
export {};
