// Test-only: `node --import <repo>/scripts/ts-source/register.mjs src/main.ts` runs an app's main straight
// from its TypeScript sources (with --experimental-transform-types), as its main.integ tests do.
import { register } from 'node:module';

register('./resolve.mjs', import.meta.url);
