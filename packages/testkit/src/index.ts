/** Private test harness: Kubernetes API test server, real nginx and etcd launchers, echo backends, AWS fakes. */
export {};
export * from './net/index.js';
export * from './process/index.js';
export * from './backends/index.js';
export * from './aws/index.js';
export * from './gorb/index.js';
export * from './apiserver/index.js';
export * from './release/index.js';
export * from './route53/index.js';
export * from './util/index.js';
