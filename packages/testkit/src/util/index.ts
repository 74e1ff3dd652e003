export { eventually, type EventuallyOptions } from './eventually.js';
export { mulberry32 } from './mulberry32.js';
export { DEFAULT_PROPERTY_SEED, propertyRuns, type PropertyRuns } from './property-runs.js';
export { captureLogger, type CapturedLogLine } from './capture-logger.js';
export { median, percentile, loadAverageText } from './stats.js';
