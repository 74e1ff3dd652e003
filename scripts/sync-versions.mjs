#!/usr/bin/env node
// Makes each app's Helm chart carry its package.json version (Chart.yaml `version` and
// `appVersion`; the chart's default image tag is empty and so follows appVersion). Run by
// `pnpm run version-packages` right after `changeset version` bumps the package.json files, so
// the version PR changes all of them together. Prints the files it changed.
import { rel, syncVersions } from './release/lib.mjs';

for (const path of syncVersions()) console.log(`updated ${rel(path)}`);
