import type { V1Node } from '@kubernetes/client-node';
import { INSTANCE_ID_LABEL } from './names.js';

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * The EC2 instance id of a node: the `alpha.eksctl.io/instance-id` label when it holds one, else
 * the last segment of `spec.providerID` (`aws:///<zone>/i-…`), else undefined. Pure.
 */
export function instanceIdOf(node: V1Node): string | undefined {
  const label = node.metadata?.labels?.[INSTANCE_ID_LABEL]?.trim();
  if (label !== undefined && INSTANCE_ID.test(label)) return label;
  const provider = node.spec?.providerID;
  if (provider?.startsWith('aws://') !== true) return undefined;
  const last = provider.split('/').pop() ?? '';
  return INSTANCE_ID.test(last) ? last : undefined;
}
