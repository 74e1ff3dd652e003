export { eventually, type EventuallyOptions } from './eventually.js';
export { mulberry32 } from './mulberry32.js';
