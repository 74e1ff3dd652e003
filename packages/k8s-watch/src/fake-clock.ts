// The fake clock lives in @kube-edge/runtime; re-exported here so k8s-watch's tests and public
// API keep their names.
export { createFakeClock, type FakeClock } from '@kube-edge/runtime';
