/**
 * Just enough XML for the bodies the Route53 SDK client sends (`ChangeResourceRecordSetsRequest`):
 * elements, text, the five predefined entities and numeric character references, an optional
 * `<?xml ...?>` prolog and attributes (read and ignored). No DTDs, CDATA or comments, which the
 * SDK never writes; anything else is a parse error, answered as `MalformedInput`.
 */

/** One parsed element: its local name, child elements in order, and its concatenated text. */
export interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const named = ENTITIES[ref];
    if (named === undefined) throw new Error(`unknown entity ${whole}`);
    return named;
  });
}

/** Parses a document into its root element. Throws `Error` on malformed input. */
export function parseXml(input: string): XmlNode {
  let pos = 0;
  const src = input.replace(/^\uFEFF/, '');
  const skipSpace = (): void => {
    while (pos < src.length && /\s/.test(src[pos] ?? '')) pos++;
  };
  skipSpace();
  if (src.startsWith('<?xml', pos)) {
    const end = src.indexOf('?>', pos);
    if (end < 0) throw new Error('unterminated XML declaration');
    pos = end + 2;
  }
  skipSpace();
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  while (pos < src.length) {
    const lt = src.indexOf('<', pos);
    if (lt < 0) {
      if (src.slice(pos).trim() !== '') throw new Error('text after the root element');
      break;
    }
    const text = src.slice(pos, lt);
    const top = stack[stack.length - 1];
    if (top !== undefined) top.text += decode(text);
    else if (text.trim() !== '') throw new Error('text outside the root element');
    const gt = src.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = src.slice(lt + 1, gt);
    pos = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== localName(name))
        throw new Error(`mismatched closing tag </${name}>`);
      if (stack.length === 0) root = open;
      continue;
    }
    if (tag.startsWith('!') || tag.startsWith('?'))
      throw new Error('comments, CDATA and processing instructions are not supported');
    const selfClosing = tag.endsWith('/');
    const match = /^([A-Za-z_][\w.:-]*)/.exec(tag);
    if (match === null || match[1] === undefined) throw new Error(`bad tag <${tag}>`);
    if (root !== undefined && stack.length === 0) throw new Error('more than one root element');
    const node: XmlNode = { name: localName(match[1]), children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.children.push(node);
    if (selfClosing) {
      if (parent === undefined) root = node;
    } else {
      stack.push(node);
    }
  }
  if (stack.length > 0 || root === undefined) throw new Error('unterminated document');
  return root;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** The first child called `name`, or undefined. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

/** Every child called `name`. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  return node?.children.filter((c) => c.name === name) ?? [];
}

/** The text of the first child called `name`, or undefined when there is no such child. */
export function childText(node: XmlNode | undefined, name: string): string | undefined {
  return child(node, name)?.text;
}
