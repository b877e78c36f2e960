import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { describeYamlError } from './yaml-error.js';

describe('describeYamlError', () => {
  it('names file, line and column, and puts a caret under the column', () => {
    const source = 'kind: Component\nmetadata:\n  name: x\n   bad: [1, 2\n';
    const [doc] = parseAllDocuments(source);
    const error = doc?.errors[0];
    if (!error) throw new Error('expected a YAML error');
    const [first, line, caret] = describeYamlError('c.yaml', source, error).split('\n');
    const at = error.linePos?.[0];
    expect(first).toBe(`c.yaml:${at?.line}:${at?.col}: ${error.message.split(' at line ')[0]}`);
    expect(line).toBe(`  ${at?.line} | ${source.split('\n')[(at?.line ?? 1) - 1]}`);
    expect(caret?.indexOf('^')).toBe(line!.indexOf('|') + 2 + (at?.col ?? 1) - 1);
  });
});
