import { describe, expect, it } from '@jest/globals';
import { renderTemplate } from './template.js';

const vars = { cluster_id: 'signus-5-expanse', slogan: 'get-schwifty' };

describe('renderTemplate', () => {
  it.each([
    ['_TEMPLATE_START_slogan_TEMPLATE_END_', 'get-schwifty'],
    ['_TEMPLATE_START_cluster_id_TEMPLATE_END_/kuberoute.json', 'signus-5-expanse/kuberoute.json'],
    ['{slogan}.{cluster_id}', 'get-schwifty.signus-5-expanse'],
    ['plain', 'plain'],
    ['{{literal}}', '{literal}'],
    ['_TEMPLATE_START__TEMPLATE_START_x_TEMPLATE_END__TEMPLATE_END_', '{x}'],
  ])('renders %s as %s', (template, expected) => {
    expect(renderTemplate(template, vars)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['a missing key', '_TEMPLATE_START_nope_TEMPLATE_END_', /no replacement named nope/],
    ['a format spec', '{slogan:>5}', /not supported/],
    ['a conversion', '{slogan!r}', /not supported/],
    ['an attribute', '{slogan.upper}', /not supported/],
    ['a positional field', '{}', /positional/],
    ['an unclosed field', '{slogan', /unclosed/],
    ['a single }', 'a}b', /single/],
  ])('refuses %s with a reason instead of crashing', (_what, template, reason) => {
    const r = renderTemplate(template, vars);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(reason);
  });
});
