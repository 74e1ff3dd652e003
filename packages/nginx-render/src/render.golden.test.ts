import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { renderNginxConfig } from './render.js';
import { parseNginxConfig } from './lexer.js';
import { dispatcherModel, feedModel } from '../test/models.js';
import { makeTempDir, nginxTestText, writeGoldenTls } from '../test/helpers.js';

const golden = (name: string): URL => new URL(`./__golden__/${name}`, import.meta.url);
// UPDATE_GOLDEN=1 rewrites the files; review the diff before committing.
const update = process.env.UPDATE_GOLDEN === '1';

const cases = [
  { name: 'feed.conf', model: feedModel() },
  { name: 'dispatcher.conf', model: dispatcherModel() },
];

describe('golden configs', () => {
  const tls = makeTempDir('golden-tls');
  const work = makeTempDir('golden-work');
  beforeAll(() => writeGoldenTls(tls.path));
  afterAll(() => {
    tls.remove();
    work.remove();
  });

  for (const c of cases) {
    it(`renders the ${c.name} model byte-identical to its golden file`, () => {
      const text = renderNginxConfig(c.model);
      if (update) writeFileSync(golden(c.name), text);
      expect(text).toBe(readFileSync(golden(c.name), 'utf8'));
    });

    it(`${c.name} golden file passes nginx -t with real nginx`, async () => {
      const result = await nginxTestText(readFileSync(golden(c.name), 'utf8'), tls.path, work.path);
      expect(result.output).toContain('test is successful');
      expect(result.ok).toBe(true);
    });

    it(`${c.name} golden file tokenizes without syntax errors`, () => {
      expect(() => parseNginxConfig(readFileSync(golden(c.name), 'utf8'))).not.toThrow();
    });
  }

  it('dispatcher golden holds the 30x/dispatcher test vectors (API key check, targetPath, upstream name)', () => {
    const text = readFileSync(golden('dispatcher.conf'), 'utf8');
    expect(text).toContain('if ($http_x_routing_api_key != "QUJD") {');
    expect(text).toContain('proxy_pass http://upstream3563244012/people;');
    expect(text).toContain('upstream upstream3563244012 {');
  });
});
