import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ETCD_CANDIDATES } from '../process/binaries.js';

/** Where to look for the real Kubernetes tools; every field is optional. */
export interface KubeToolsLookup {
  /** Environment to read `KUBEBUILDER_ASSETS`, `KUBE_EDGE_KUBE_APISERVER`, `KUBE_EDGE_HELM` from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Any directory inside the repository; its root (the directory with `pnpm-workspace.yaml`) is found upwards. Default `process.cwd()`. */
  from?: string;
}

/** A binary found, or why none was. */
export type BinaryLookup = { found: true; path: string } | { found: false; reason: string };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The repository root above `from`: the nearest directory holding `pnpm-workspace.yaml`, or undefined. */
export function findRepoRoot(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function lookup(
  name: string,
  envPaths: (string | undefined)[],
  lookupOptions: KubeToolsLookup,
): BinaryLookup {
  const root = findRepoRoot(lookupOptions.from);
  const candidates = [
    ...envPaths.filter((p): p is string => p !== undefined && p !== ''),
    ...(root === undefined ? [] : [join(root, '..', 'shared', 'bin', name)]),
  ];
  for (const candidate of candidates) {
    if (executable(candidate)) return { found: true, path: candidate };
  }
  return {
    found: false,
    reason: `${name} not found (looked in ${candidates.length > 0 ? candidates.join(', ') : 'nowhere: no repository root above the working directory'})`,
  };
}

/**
 * Finds kube-apiserver: `$KUBEBUILDER_ASSETS/kube-apiserver` (what setup-envtest provides), then
 * `$KUBE_EDGE_KUBE_APISERVER`, then `<repo root>/../shared/bin/kube-apiserver`. Blocking (a few
 * `access` calls); never throws.
 */
export function findKubeApiServer(options: KubeToolsLookup = {}): BinaryLookup {
  const env = options.env ?? process.env;
  const assets = env['KUBEBUILDER_ASSETS'];
  return lookup(
    'kube-apiserver',
    [
      assets === undefined || assets === '' ? undefined : join(assets, 'kube-apiserver'),
      env['KUBE_EDGE_KUBE_APISERVER'],
    ],
    options,
  );
}

/** Finds helm: `$KUBE_EDGE_HELM`, then `<repo root>/../shared/bin/helm`, then `/usr/local/bin/helm`, `/usr/bin/helm`. Blocking; never throws. */
export function findHelm(options: KubeToolsLookup = {}): BinaryLookup {
  const env = options.env ?? process.env;
  const found = lookup('helm', [env['KUBE_EDGE_HELM']], options);
  if (found.found) return found;
  for (const path of ['/usr/local/bin/helm', '/usr/bin/helm']) {
    if (executable(path)) return { found: true, path };
  }
  return found;
}

/** Finds etcd in {@link ETCD_CANDIDATES}. Blocking; never throws. */
export function findEtcd(): BinaryLookup {
  const path = ETCD_CANDIDATES.find(executable);
  return path === undefined
    ? {
        found: false,
        reason: `etcd not found (looked in ${ETCD_CANDIDATES.join(', ')}; install it with \`apt-get install etcd-server\`)`,
      }
    : { found: true, path };
}
