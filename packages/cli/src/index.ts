export { main, cliVersion } from './main.js';
export { EXIT, CliError } from './exit-codes.js';
export { parseDuration } from './options.js';
export { formatDuration, inCliTerms } from './cli-terms.js';
