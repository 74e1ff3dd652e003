import type { KubeObject } from './types.js';

/** How object names of a kind are validated (the real server's rules). */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'crd';

/** One served resource (a kind in one group, served at one or more versions). */
export interface ResourceInfo {
  group: string;
  /** Served versions, the first is the preferred one. */
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Versions that have a `/status` subresource. */
  statusVersions: string[];
  builtin: boolean;
  nameRule: NameRule;
  /** Whether metadata.generation is kept (it counts spec changes), as for Deployments, Ingresses, CRDs and custom resources. */
  generation: boolean;
  /** Field selector keys beyond metadata.name / metadata.namespace. */
  fieldSelectors: string[];
  /** Storage key, unique per group+plural. */
  key: string;
}

/** Everything `kubectl` and client-go list as the verbs of a normal resource. */
export const RESOURCE_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

interface BuiltinSpec {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  status?: boolean;
  nameRule?: NameRule;
  fieldSelectors?: string[];
  generation?: boolean;
}

const POD_FIELDS = [
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];
const EVENT_FIELDS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

const BUILTINS: BuiltinSpec[] = [
  {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    nameRule: 'label',
    fieldSelectors: ['status.phase'],
  },
  {
    group: '',
    version: 'v1',
    plural: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    fieldSelectors: POD_FIELDS,
  },
  {
    group: '',
    version: 'v1',
    plural: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    nameRule: 'dns1035',
  },
  { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, fieldSelectors: ['type'] },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  {
    group: '',
    version: 'v1',
    plural: 'nodes',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    fieldSelectors: ['spec.unschedulable'],
  },
  {
    group: '',
    version: 'v1',
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fieldSelectors: EVENT_FIELDS,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingresses',
    kind: 'Ingress',
    namespaced: true,
    shortNames: ['ing'],
    status: true,
    generation: true,
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingressclasses',
    kind: 'IngressClass',
    namespaced: false,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    plural: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    status: true,
    generation: true,
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  {
    group: 'events.k8s.io',
    version: 'v1',
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fieldSelectors: [
      'regarding.kind',
      'regarding.namespace',
      'regarding.name',
      'regarding.uid',
      'reason',
      'reportingController',
      'type',
    ],
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    status: true,
    generation: true,
    nameRule: 'crd',
  },
];

function builtinInfo(s: BuiltinSpec): ResourceInfo {
  return {
    group: s.group,
    versions: [s.version],
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    kind: s.kind,
    listKind: `${s.kind}List`,
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    statusVersions: s.status === true ? [s.version] : [],
    builtin: true,
    nameRule: s.nameRule ?? 'subdomain',
    generation: s.generation === true,
    fieldSelectors: s.fieldSelectors ?? [],
    key: `${s.group}/${s.plural}`,
  };
}

/** Splits `apps/v1` into group and version (`v1` into `''` and `v1`). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** `group/version`, or `version` for the core group. */
export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * The kinds the server serves: the built-ins plus custom resources of registered CRDs.
 * Not safe for concurrent mutation (the server is single-threaded anyway).
 */
export class ResourceRegistry {
  private readonly resources: ResourceInfo[] = BUILTINS.map(builtinInfo);

  /** Every served resource. */
  all(): ResourceInfo[] {
    return this.resources;
  }

  /** The resource served at `group/version` with this plural name. */
  byPlural(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.resources.find(
      (r) => r.group === group && r.plural === plural && r.versions.includes(version),
    );
  }

  /** The resource for an object's apiVersion and kind. */
  byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    return this.resources.find((r) => r.group === group && r.kind === kind && r.versions.includes(version));
  }

  /** Served groups with their versions, in registration order (core group excluded). */
  groups(): { name: string; versions: string[] }[] {
    const out: { name: string; versions: string[] }[] = [];
    for (const r of this.resources) {
      if (r.group === '') continue;
      let g = out.find((x) => x.name === r.group);
      if (!g) {
        g = { name: r.group, versions: [] };
        out.push(g);
      }
      for (const v of r.versions) if (!g.versions.includes(v)) g.versions.push(v);
    }
    return out;
  }

  /** Resources served at one group/version. */
  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.resources.filter((r) => r.group === group && r.versions.includes(version));
  }

  /** The ResourceInfo a CRD object describes (not registered). */
  static fromCrd(crd: KubeObject): ResourceInfo {
    const spec = rec(crd['spec']);
    const names = rec(spec['names']);
    const group = str(spec['group']) ?? '';
    const kind = str(names['kind']) ?? '';
    const versions = Array.isArray(spec['versions']) ? (spec['versions'] as unknown[]).map(rec) : [];
    const served = versions.filter((v) => v['served'] !== false);
    // The storage version first, so it is the preferred one, as the real server orders them.
    served.sort((a, b) => (b['storage'] === true ? 1 : 0) - (a['storage'] === true ? 1 : 0));
    const plural = str(names['plural']) ?? '';
    return {
      group,
      versions: served.map((v) => str(v['name']) ?? ''),
      plural,
      singular: str(names['singular']) ?? kind.toLowerCase(),
      kind,
      listKind: str(names['listKind']) ?? `${kind}List`,
      namespaced: spec['scope'] !== 'Cluster',
      shortNames: strArray(names['shortNames']),
      categories: strArray(names['categories']),
      statusVersions: served
        .filter((v) => rec(v['subresources'])['status'] !== undefined)
        .map((v) => str(v['name']) ?? ''),
      builtin: false,
      nameRule: 'subdomain',
      generation: true,
      fieldSelectors: [],
      key: `${group}/${plural}`,
    };
  }

  /** Registers (or re-registers, on a CRD update) the custom resource of a CRD. */
  registerCrd(crd: KubeObject): ResourceInfo {
    const info = ResourceRegistry.fromCrd(crd);
    const i = this.resources.findIndex((r) => !r.builtin && r.key === info.key);
    if (i >= 0) this.resources[i] = info;
    else this.resources.push(info);
    return info;
  }

  /** Removes the custom resource of a CRD; returns it when it was registered. */
  unregisterCrd(crd: KubeObject): ResourceInfo | undefined {
    const key = ResourceRegistry.fromCrd(crd).key;
    const i = this.resources.findIndex((r) => !r.builtin && r.key === key);
    if (i < 0) return undefined;
    const [removed] = this.resources.splice(i, 1);
    return removed;
  }
}
