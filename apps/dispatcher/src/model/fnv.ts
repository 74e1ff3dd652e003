/** FNV-1a 32-bit of the UTF-8 bytes of `text`, as an unsigned integer (Go's hash/fnv New32a). Pure. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
