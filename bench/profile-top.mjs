/** Prints the top self-time functions of a .cpuprofile: node bench/profile-top.mjs file [count]. */
import { readFileSync } from 'node:fs';
import process from 'node:process';

const [file, count = '30'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const totals = new Map();
let all = 0;
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  totals.set(name, (totals.get(name) ?? 0) + node.hitCount);
  all += node.hitCount;
}
const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(count));
for (const [name, hits] of top)
  process.stdout.write(`${((100 * hits) / all).toFixed(1).padStart(5)} %  ${name}\n`);
