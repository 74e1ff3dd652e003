import { validate } from 'dockerfile-utils';

/** One finding in a Dockerfile: a syntax problem from dockerfile-utils or a project policy. */
export interface DockerfileProblem {
  /** 1-based line, or 0 for whole-file policies. */
  line: number;
  message: string;
}

/** What kube-edge requires of every app image. */
export interface DockerfilePolicy {
  /** Major Node version every `node:` base image must carry in its tag. Default 24. */
  nodeMajor?: number;
}

/**
 * Lints a Dockerfile's text: every diagnostic of dockerfile-utils (the parser behind the Docker
 * language server), plus kube-edge's image policy: multi-stage, Node base images pinned to the
 * given major and never `latest`, a non-root `USER` in the final stage, no `ADD` of URLs, and
 * no `sudo`. Pure; no Docker engine needed. An empty result means the file passed.
 */
export function lintDockerfile(text: string, policy: DockerfilePolicy = {}): DockerfileProblem[] {
  const nodeMajor = policy.nodeMajor ?? 24;
  const problems: DockerfileProblem[] = validate(text).map((d) => ({
    line: d.range.start.line + 1,
    message: typeof d.message === 'string' ? d.message : d.message.value,
  }));
  const lines = joinContinuations(text);
  const froms = lines.filter((l) => /^FROM\s/i.test(l.text));
  if (froms.length < 2)
    problems.push({
      line: 0,
      message: 'not a multi-stage build (expected a build stage and a runtime stage)',
    });
  const stages = new Set<string>(['scratch']);
  for (const f of froms) {
    const words = f.text
      .split(/\s+/)
      .slice(1)
      .filter((w) => !w.startsWith('--'));
    const image = words[0] ?? '';
    const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
    const fromEarlierStage = stages.has(image.toLowerCase());
    if (asIndex > 0 && words[asIndex + 1]) stages.add(words[asIndex + 1]!.toLowerCase());
    if (fromEarlierStage) continue;
    // The tag (or digest) belongs to the last path segment: a registry's `host:port/` is not a
    // tag, and `docker.io/library/node` is still a Node image.
    const digestAt = image.indexOf('@');
    const named = digestAt < 0 ? image : image.slice(0, digestAt);
    const lastSegment = named.slice(named.lastIndexOf('/') + 1);
    const colon = lastSegment.indexOf(':');
    const repo = colon < 0 ? lastSegment : lastSegment.slice(0, colon);
    const tag = colon < 0 ? '' : lastSegment.slice(colon + 1);
    if (digestAt < 0 && (tag === '' || tag === 'latest'))
      problems.push({ line: f.line, message: `base image ${image} is not pinned to a tag` });
    else if (repo === 'node' && tag !== '' && !new RegExp(`^${nodeMajor}(\\D|$)`).test(tag)) {
      problems.push({ line: f.line, message: `base image ${image} is not Node ${nodeMajor}` });
    }
  }
  const lastFrom = froms.at(-1)?.line ?? 0;
  const users = lines.filter((l) => l.line > lastFrom && /^USER\s/i.test(l.text));
  const finalUser = users.at(-1)?.text.split(/\s+/)[1] ?? '';
  if (finalUser === '' || /^(root|0)(:|$)/.test(finalUser)) {
    problems.push({
      line: users.at(-1)?.line ?? 0,
      message: 'the final stage does not run as a non-root USER',
    });
  }
  for (const l of lines) {
    if (/^ADD\s+(--\S+\s+)*https?:\/\//i.test(l.text))
      problems.push({
        line: l.line,
        message: 'ADD of a URL; download in a build stage with checksums instead',
      });
    if (/^RUN\b.*\bsudo\b/i.test(l.text)) problems.push({ line: l.line, message: 'sudo in RUN' });
  }
  return problems;
}

function joinContinuations(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let current: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (current === undefined) {
      if (t === '' || t.startsWith('#')) return;
      current = { line: i + 1, text: '' };
    } else if (t.startsWith('#')) return;
    const continued = t.endsWith('\\');
    current.text += (current.text ? ' ' : '') + (continued ? t.slice(0, -1).trim() : t);
    if (!continued) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}
