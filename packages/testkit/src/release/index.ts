export { lintDockerfile, type DockerfilePolicy, type DockerfileProblem } from './dockerfile.js';
export { checkChart, checkTemplate, type ChartProblem } from './chart.js';
export { readManifestFiles, validateManifests, type ManifestProblem } from './manifests.js';
