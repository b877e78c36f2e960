import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A new temp data dir whose `components/lockstore.yaml` is a Dapr Component of `type` with the
 * given metadata, laid out as spawnServer expects.
 */
export function dataDirWithComponent(type: string, metadata: Record<string, string>): string {
  const dataDir = mkdtempSync(join(tmpdir(), `leasehold-${type.replace('.', '-')}-`));
  mkdirSync(join(dataDir, 'components'), { recursive: true });
  const items = Object.entries(metadata).flatMap(([name, value]) => [
    `    - name: ${name}`,
    `      value: "${value}"`,
  ]);
  const yaml = [
    'apiVersion: dapr.io/v1alpha1',
    'kind: Component',
    'metadata:',
    '  name: lockstore',
    'spec:',
    `  type: ${type}`,
    '  version: v1',
    '  metadata:',
    ...items,
    '',
  ];
  writeFileSync(join(dataDir, 'components', 'lockstore.yaml'), yaml.join('\n'));
  return dataDir;
}
