/** Private test harness: Kubernetes API test server, real nginx and etcd launchers, echo backends, AWS fakes. */
export {};
export * from './gorb/index.js';
