import type { YAMLError } from 'yaml';

/**
 * A YAML syntax error as a person reads it: `file:line:col: problem`, then the line with its
 * number and a caret under the column. Falls back to the parser's message without a position.
 */
export function describeYamlError(file: string, source: string, error: YAMLError): string {
  // The parser appends its own " at line L, column C:" and a snippet; we print our own.
  const problem = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
  const at = error.linePos?.[0];
  if (!at) return `${file}: ${problem}`;
  const text = source.split(/\r?\n/)[at.line - 1] ?? '';
  const gutter = String(at.line);
  const pad = ' '.repeat(gutter.length);
  return [
    `${file}:${at.line}:${at.col}: ${problem}`,
    `  ${gutter} | ${text}`,
    `  ${pad} | ${' '.repeat(Math.max(0, at.col - 1))}^`,
  ].join('\n');
}
