import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { BuildResult, SkippedObject } from '@kube-edge/k8s-watch';
import { computeRecords, decide, type Decision, type ModelConfig, type Skipped } from './model/records.js';

/** What one pass applies: the nodes and one decision per published name. */
export interface KuberouteModel {
  /** Every node: the quota's denominator and the report's `nodes`. */
  readonly nodes: readonly V1Node[];
  /** One per published name, in the order of the services; empty when there are no nodes. */
  readonly decisions: readonly Decision[];
  /** Services and pods left out, with reasons (also in `skipped` of the build result). */
  readonly skipped: readonly Skipped[];
}

/** The caches {@link buildModel} reads. */
export interface ModelInput {
  readonly services: readonly V1Service[];
  readonly pods: readonly V1Pod[];
  readonly nodes: readonly V1Node[];
}

/** A skipped service or pod as the controller loop reports it (once, warn log, Event, metrics). */
export function toSkippedObject(s: Skipped): SkippedObject {
  return {
    kind: s.object.kind,
    namespace: s.object.namespace,
    name: s.object.name,
    ...(s.object.uid === undefined ? {} : { uid: s.object.uid }),
    reason: s.reason,
    message: s.message,
  };
}

/**
 * The whole desired state of one pass from the cached Services, Pods and Nodes: the records and
 * their decisions (quota, failover). With no nodes there is nothing to decide (the quota would
 * divide by zero), so `decisions` is empty. Pure.
 */
export function buildModel(input: ModelInput, config: ModelConfig): BuildResult<KuberouteModel> {
  const { records, skipped } = computeRecords(input.services, input.pods, input.nodes, config);
  const count = input.nodes.length;
  const decisions = count === 0 ? [] : records.map((r) => decide(r, count));
  return { model: { nodes: input.nodes, decisions, skipped }, skipped: skipped.map(toSkippedObject) };
}
