#!/usr/bin/env node
// Nothing test-only ships: deploys each app as its image does
// (`pnpm --filter @kube-edge/<app> deploy --prod --legacy <dir>`, see apps/*/Dockerfile) into a
// temporary directory and fails if the app or any of our packages in it carries a test, fixture,
// test helper or demo file. Working fakes that a package exports on purpose (`fake-*.js`) are
// allowed. Also fails on a native addon (`*.node`): the images build on the builder's platform
// and copy the deployment into every target platform, which is only right for plain JavaScript.
// Run after a build from clean (CI and the Dockerfiles build from clean; a file left in
// dist/ by an older build is reported too).
//   node scripts/check-deploy.mjs [app...]      default: every app under apps/
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTestOnly } from './release/lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const apps = process.argv.slice(2);
if (apps.length === 0)
  for (const d of readdirSync(join(root, 'apps'))) {
    if (existsSync(join(root, 'apps', d, 'Dockerfile'))) apps.push(d);
  }

/** Every file under `dir`, relative to it, following the symlinks pnpm makes. */
function files(dir, prefix = '') {
  const out = [];
  for (const name of readdirSync(join(dir, prefix))) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...files(dir, rel));
    else out.push(rel);
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'kube-edge-deploy-'));
let failed = false;
try {
  for (const app of apps) {
    const out = join(tmp, app);
    const r = spawnSync('pnpm', ['--filter', `@kube-edge/${app}`, 'deploy', '--prod', '--legacy', out], {
      cwd: root,
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      console.error(`${app}: pnpm deploy failed\n${r.stdout}${r.stderr}`);
      failed = true;
      continue;
    }
    if (!existsSync(join(out, 'dist', 'main.js'))) {
      console.error(`${app}: the deployment has no dist/main.js (build first)`);
      failed = true;
      continue;
    }
    // The app itself (not its node_modules), and each of our packages it depends on.
    const roots = [{ label: app, dir: out, skip: /^node_modules(\/|$)/ }];
    const ours = join(out, 'node_modules', '@kube-edge');
    if (existsSync(ours))
      for (const pkg of readdirSync(ours))
        roots.push({
          label: `${app} > @kube-edge/${pkg}`,
          dir: join(ours, pkg),
          skip: /^node_modules(\/|$)/,
        });
    const bad = [];
    let count = 0;
    for (const { label, dir, skip } of roots) {
      const top = readdirSync(dir).filter((n) => !skip.test(n));
      for (const t of top) {
        const list = statSync(join(dir, t)).isDirectory() ? files(dir, t) : [t];
        count += list.length;
        for (const f of list) {
          if (isTestOnly(f)) bad.push(`${label}: ${f}`);
        }
      }
    }
    const native = readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.node'));
    if (native.length > 0) {
      failed = true;
      console.error(
        `${app}: native addons in the deployment (the image's build stage runs on the builder's platform, so they would be the wrong architecture on the others; build them per platform first):\n  ${native.join('\n  ')}`,
      );
    }
    if (bad.length > 0) {
      failed = true;
      console.error(
        `${app}: test-only files in the deployment (a file an older build left in dist/? delete that dist/ and build again):\n  ${bad.join('\n  ')}`,
      );
    } else {
      console.log(`${app}: ok (${count} files of ${roots.length} workspace packages checked)`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
