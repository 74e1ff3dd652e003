// `./dev demo`: runs the feed-ingress demo (apps/feed-ingress/demo/demo.ts, on the built app).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(`${root}apps/feed-ingress/package.json`)) {
  console.log(
    'The demo arrives with apps/feed-ingress. Until then, `./dev test` runs every package test\n' +
      '(real nginx and etcd on 127.0.0.1, the Kubernetes API test server).',
  );
  process.exit(0);
}
const r = spawnSync('pnpm', ['--filter', '@kube-edge/feed-ingress', 'run', 'demo'], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
