/** Kubernetes informers that never silently stop, work queues, leader election, status writer, Event recorder, offline listers. */
export {};
