export { main, USAGE } from './main.js';
export { EXIT, CliError } from './exit-codes.js';
export { parseDuration } from './options.js';
