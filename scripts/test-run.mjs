// `./dev test [--repeat N]`: runs the whole check (`pnpm run ci`: format, build, lint, typecheck,
// tests, the real-API pass, the summary) N times (default 1), each in its own TMPDIR, and after each
// run fails it if an nginx, etcd or kube-apiserver process that the run started is still alive
// (printed, then killed). With N > 1 turbo's cache is bypassed (TURBO_FORCE) so every run really
// tests, and the end lists each failed test by run, package and name.
//   node scripts/test-run.mjs [--repeat N] [extra args for `pnpm run ci`]
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
let repeat = 1;
const i = args.indexOf('--repeat');
if (i >= 0) {
  repeat = Number(args[i + 1]);
  if (!Number.isInteger(repeat) || repeat < 1) {
    console.error('--repeat needs a positive whole number, e.g. ./dev test --repeat 5');
    process.exit(2);
  }
  args.splice(i, 2);
}

const WATCHED = new Set(['nginx', 'etcd', 'kube-apiserver']);

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** nginx, etcd and kube-apiserver processes (not zombies) whose command line, cwd or open files lie under `dir`. */
function leftovers(dir) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!WATCHED.has(comm) || stat.charAt(stat.lastIndexOf(')') + 2) === 'Z') continue;
    const cmdline = read(`/proc/${entry}/cmdline`).replaceAll('\0', ' ').trim();
    let mine = cmdline.includes(dir);
    const links = [];
    try {
      links.push(readlinkSync(`/proc/${entry}/cwd`));
      for (const fd of readdirSync(`/proc/${entry}/fd`)) links.push(readlinkSync(`/proc/${entry}/fd/${fd}`));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
    mine ||= links.some((l) => l.startsWith(dir));
    if (mine) found.push({ pid: Number(entry), comm, cmdline });
  }
  return found;
}

/** Runs `pnpm run ci` once with TMPDIR=`dir`; resolves its exit code and the failed tests it printed. */
function runOnce(dir, force) {
  return new Promise((resolve) => {
    const child = spawn('pnpm', ['run', 'ci', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TMPDIR: dir,
        TURBO_DAEMON: 'false',
        ...(force ? { TURBO_FORCE: 'true' } : {}),
      },
    });
    const failures = new Set();
    let pending = '';
    const scan = (chunk, out) => {
      out.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // jest's failure headings, as turbo prints them: `@kube-edge/x:test:   ● describe › test`.
        const m = /^(?:(\S+?):test:\s*)?\s*● (.+›.+)$/.exec(line);
        if (m !== null) failures.add(`${m[1] ?? '(real API pass)'}: ${m[2].trim()}`);
      }
    };
    child.stdout.on('data', (d) => scan(d, process.stdout));
    child.stderr.on('data', (d) => scan(d, process.stderr));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), failures: [...failures] }));
  });
}

const report = [];
for (let run = 1; run <= repeat; run += 1) {
  if (repeat > 1) console.log(`\n=== run ${run} of ${repeat} ===`);
  const dir = mkdtempSync(join(tmpdir(), 'kube-edge-run-'));
  // Like /tmp itself: nginx workers run as another user when the run is root (CI) and must reach
  // their temp paths below this directory (mkdtemp makes it 0700).
  chmodSync(dir, 0o1777);
  const started = Date.now();
  const { code, failures } = await runOnce(dir, repeat > 1);
  // Give processes a test asked to stop a moment to finish exiting.
  await new Promise((r) => setTimeout(r, 500));
  const left = leftovers(dir);
  if (left.length > 0) {
    console.error(`\nProcesses started by this run are still alive (killed now):`);
    for (const p of left) console.error(`  ${p.pid} ${p.comm}: ${p.cmdline}`);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const ok = code === 0 && left.length === 0;
  report.push({ run, ok, code, failures, left, seconds: Math.round((Date.now() - started) / 1000) });
}

if (repeat > 1 || report.some((r) => !r.ok)) {
  console.log(`\n=== ${report.filter((r) => r.ok).length} of ${repeat} runs passed ===`);
  for (const r of report) {
    console.log(`run ${r.run}: ${r.ok ? 'passed' : 'FAILED'} (${r.seconds} s)`);
    for (const f of r.failures) console.log(`  failed: ${f}`);
    if (r.code !== 0 && r.failures.length === 0)
      console.log(`  failed: exit ${r.code} (no test failure printed: see above)`);
    for (const p of r.left) console.log(`  left running: ${p.pid} ${p.comm}`);
  }
}
process.exit(report.every((r) => r.ok) ? 0 : 1);
