/**
 * `npm run torture:check -- history.jsonl [--json] [--max N]`: checks a recorded history against every
 * property of issue 13, prints the verdict and exits 1 when a property is violated (2 on bad input).
 */
import { parseArgs } from 'node:util';
import { readHistory } from '../history/history-reader.js';
import { check, renderVerdict } from './check.js';

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, max: { type: 'string', default: '20' } },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) {
    console.error('usage: npm run torture:check -- history.jsonl [--json] [--max N]');
    return 2;
  }
  const verdict = check(readHistory(file));
  console.log(values.json ? JSON.stringify(verdict) : renderVerdict(verdict, Number(values.max)));
  return verdict.valid ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
}
