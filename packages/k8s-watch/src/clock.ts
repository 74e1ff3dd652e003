// The clock lives in @kube-edge/runtime (one home for every package); re-exported here so
// k8s-watch's modules and its public API keep their names.
export { createSystemClock, sleep, type Clock, type TimerHandle } from '@kube-edge/runtime';
