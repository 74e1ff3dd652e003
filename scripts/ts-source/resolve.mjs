// Test-only module hooks: run src/main.ts straight from the TypeScript sources (Node strips the
// types), mapping the `.js` specifiers the sources use to the `.ts` files that exist.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function resolve(specifier, context, next) {
  if (
    (specifier.startsWith('./') || specifier.startsWith('../')) &&
    specifier.endsWith('.js') &&
    context.parentURL
  ) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(ts)))
      return next(ts.href, context);
  }
  return next(specifier, context);
}
