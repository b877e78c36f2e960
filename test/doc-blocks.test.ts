import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractBlocks, shellSteps } from './support/doc-blocks.js';
import { maskLine } from './support/doc-output.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-doc-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function blocksOf(markdown: string) {
  const file = join(dir, `doc-${Math.random().toString(16).slice(2)}.md`);
  writeFileSync(file, markdown);
  return extractBlocks(file);
}

describe('the docs test reads a doc', () => {
  it('finds fenced blocks, their language, line and not-run mark', () => {
    const blocks = blocksOf(
      [
        '# T',
        '',
        '<!-- not-run: needs a Redis -->',
        '```sh',
        'redis-cli ping',
        '```',
        '',
        '```ts',
        'x;',
        '```',
      ].join('\n'),
    );
    expect(blocks).toMatchObject([
      { lang: 'sh', line: 4, code: 'redis-cli ping', notRun: 'needs a Redis' },
      { lang: 'ts', line: 8, code: 'x;' },
    ]);
    expect(blocks[1]).not.toHaveProperty('notRun');
  });

  it('pairs each command with the # lines right under it, not with the comment that introduces it', () => {
    const [block] = blocksOf(
      [
        '```sh',
        '# Grant a lease.',
        'curl -s -X POST x \\',
        "  -d '{}'   # a remark",
        '# {"id":"9f2c…"}',
        '',
        'echo hi',
        'false',
        '# (exit 1)',
        '```',
      ].join('\n'),
    );
    expect(shellSteps(block!)).toEqual([
      {
        line: 3,
        command: "curl -s -X POST x \\\n  -d '{}'   # a remark",
        expected: ['{"id":"9f2c…"}'],
        exitCode: 0,
      },
      { line: 7, command: 'echo hi', expected: [], exitCode: 0 },
      { line: 8, command: 'false', expected: [], exitCode: 1 },
    ]);
  });

  it('masks ids, tokens and times alike on both sides, and nothing else', () => {
    expect(maskLine('{"id":"9f2c…","ttlMs":10000}')).toBe(
      maskLine('{"ttlMs":10000,"id":"1fb8a83031cd1222f42a2c400c684bd5"}'),
    );
    expect(maskLine('{"status":0}     0 SUCCESS, 1 LOCK_DOES_NOT_EXIST')).toBe(maskLine('{"status":0}'));
    expect(maskLine('{"status":0}')).not.toBe(maskLine('{"status":1}'));
    expect(maskLine('leasehold: acquired x (token 1, lease 9f2c…)')).toBe(
      maskLine('leasehold: acquired x (token 42, lease 1fb8a83031cd1222f42a2c400c684bd5)'),
    );
    expect(maskLine('x: free')).not.toBe(maskLine('x: held'));
  });
});
