// CRD manifests of other projects' resources that the controllers read, kept once under
// testdata/crds/ for every package's tests. The path resolves the same from src/ and dist/.
import { fileURLToPath } from 'node:url';

/**
 * The path of the CRD of Skipper's RouteGroups (`routegroups.zalando.org`, version v1,
 * namespaced, status subresource, fields unchecked), for `store.loadYaml(ROUTEGROUP_CRD_FILE)`
 * or `readManifests`.
 */
export const ROUTEGROUP_CRD_FILE: string = fileURLToPath(
  new URL('../../testdata/crds/routegroups.zalando.org.yaml', import.meta.url),
);
