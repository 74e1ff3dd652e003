#!/usr/bin/env node
// Prints, as one line of JSON, the apps a changesets publish run released: the release
// workflow's image and chart matrix. Reads the action's `published-packages` output from the
// PUBLISHED environment variable, e.g. [{"name":"@kube-edge/feed-ingress","version":"0.2.0"}]
// -> [{"app":"feed-ingress","version":"0.2.0"}].
import { releasedApps } from './release/lib.mjs';

console.log(JSON.stringify(releasedApps(JSON.parse(process.env.PUBLISHED || '[]'))));
