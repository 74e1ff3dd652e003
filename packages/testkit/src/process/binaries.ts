import { accessSync, constants } from 'node:fs';

/** Default places to look for nginx, Debian's first. */
export const NGINX_CANDIDATES: readonly string[] = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/local/nginx/sbin/nginx',
  '/usr/bin/nginx',
];

/** Default places to look for etcd, Debian's (`etcd-server`) first. */
export const ETCD_CANDIDATES: readonly string[] = ['/usr/bin/etcd', '/usr/local/bin/etcd'];

function findExecutable(what: string, candidates: readonly string[], hint: string): string {
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next place.
    }
  }
  throw new Error(`${what} binary not found (looked in ${candidates.join(', ')}); ${hint}`);
}

/**
 * Returns the path of the nginx binary: the first executable of `candidates` (default
 * {@link NGINX_CANDIDATES}). Blocking (a few `access` calls); throws an Error naming the places
 * searched and the Debian package to install when none is there.
 */
export function nginxBinary(candidates: readonly string[] = NGINX_CANDIDATES): string {
  return findExecutable('nginx', candidates, 'install it with `apt-get install nginx`');
}

/**
 * Returns the path of the etcd binary: the first executable of `candidates` (default
 * {@link ETCD_CANDIDATES}). Blocking; throws an Error naming the places searched when none is there.
 */
export function etcdBinary(candidates: readonly string[] = ETCD_CANDIDATES): string {
  return findExecutable('etcd', candidates, 'install it with `apt-get install etcd-server`');
}
