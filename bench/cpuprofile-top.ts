/**
 * The top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`), and the share of
 * samples under each of a few subtrees named on the command line.
 * Run: node --import tsx bench/cpuprofile-top.ts <file.cpuprofile> [count] [function-name ...]
 * PROFILE_LAST_MS=<ms> counts only the samples of the profile's last ms (leaving out start-up).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const [file, countText = '30', ...subtrees] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file!, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const { nodes } = profile;
const byId = new Map(nodes.map((node) => [node.id, node]));
const lastMs = Number(process.env.PROFILE_LAST_MS ?? 0);
if (lastMs > 0) {
  for (const node of nodes) node.hitCount = 0;
  let sinceEndUs = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  profile.samples.forEach((id, i) => {
    sinceEndUs -= profile.timeDeltas[i]!;
    if (sinceEndUs >= lastMs * 1000) return;
    byId.get(id)!.hitCount! += 1;
  });
}
const total = nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*\/(node_modules|packages)\//, '$1/');
  return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
};
const self = new Map<string, number>();
for (const node of nodes) self.set(label(node), (self.get(label(node)) ?? 0) + (node.hitCount ?? 0));
const pct = (hits: number) => `${((100 * hits) / total).toFixed(1).padStart(5)} %`;
console.log(`${total} samples`);
for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(countText))) {
  console.log(`${pct(hits)}  ${name}`);
}
/** Samples in a node's subtree, counting a recursive function's subtree once. */
const inclusive = (node: ProfileNode, seen: Set<number>): number => {
  if (seen.has(node.id)) return 0;
  seen.add(node.id);
  let hits = node.hitCount ?? 0;
  for (const child of node.children ?? []) hits += inclusive(byId.get(child)!, seen);
  return hits;
};
for (const name of subtrees) {
  const seen = new Set<number>();
  let hits = 0;
  for (const node of nodes) if (node.callFrame.functionName === name) hits += inclusive(node, seen);
  console.log(`${pct(hits)}  under ${name}`);
}
