import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { tempDir } from '../net/temp-dir.js';
import { findHelm, type KubeToolsLookup } from './binaries.js';
import type { KubeObject } from './types.js';

/** Options of {@link renderChart}; every field is optional. */
export interface RenderChartOptions extends KubeToolsLookup {
  /** Values, as `-f values.json`. Default none (the chart's defaults). */
  values?: Record<string, unknown>;
  /** Release name. Default `test`. */
  releaseName?: string;
  /** `--namespace`. Default `default`. */
  namespace?: string;
  /** helm executable. Default: {@link findHelm}. */
  helmBinary?: string;
}

/**
 * Whether {@link renderChart} can run here, and if not, why (helm not found). Blocking; never throws.
 */
export function helmAvailable(options: KubeToolsLookup = {}):
  | { available: true; helm: string }
  | {
      available: false;
      reason: string;
    } {
  const found = findHelm(options);
  return found.found ? { available: true, helm: found.path } : { available: false, reason: found.reason };
}

/**
 * Renders a chart with `helm template` and returns its objects, parsed, in helm's order (empty
 * documents dropped). Non-blocking; safe to call concurrently. Throws when helm is missing (check
 * {@link helmAvailable} to skip) or refuses the chart, with helm's stderr.
 */
export async function renderChart(chartDir: string, options: RenderChartOptions = {}): Promise<KubeObject[]> {
  const helm =
    options.helmBinary ??
    (() => {
      const found = findHelm(options);
      if (!found.found) throw new Error(found.reason);
      return found.path;
    })();
  const dir = await tempDir('helm');
  try {
    const args = [
      'template',
      options.releaseName ?? 'test',
      chartDir,
      '--namespace',
      options.namespace ?? 'default',
    ];
    if (options.values !== undefined) {
      const valuesFile = join(dir.path, 'values.json');
      await writeFile(valuesFile, JSON.stringify(options.values));
      args.push('-f', valuesFile);
    }
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        helm,
        args,
        // helm writes its cache and config under HOME; keep that in the temp dir.
        {
          cwd: dir.path,
          timeout: 60_000,
          maxBuffer: 32 * 1024 * 1024,
          env: {
            ...process.env,
            HELM_CACHE_HOME: join(dir.path, 'cache'),
            HELM_CONFIG_HOME: join(dir.path, 'config'),
            HELM_DATA_HOME: join(dir.path, 'data'),
          },
        },
        (error, out, stderr) => {
          if (error) reject(new Error(`helm ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
          else resolve(out);
        },
      );
    });
    const objects: KubeObject[] = [];
    for (const doc of parseAllDocuments(stdout)) {
      if (doc.errors.length > 0)
        throw new Error(`helm template output is not YAML: ${doc.errors[0]?.message ?? ''}`);
      const value: unknown = doc.toJS();
      if (value !== null && typeof value === 'object') objects.push(value as KubeObject);
    }
    return objects;
  } finally {
    await dir.remove();
  }
}
