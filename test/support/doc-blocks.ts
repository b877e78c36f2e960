import { readFileSync } from 'node:fs';

/** A fenced code block of a Markdown file. */
export interface DocBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  /** The reason given by a `<!-- not-run: reason -->` comment right before the fence, if any. */
  readonly notRun?: string;
}

/** One shell command of a block and the output the doc shows for it. */
export interface ShellStep {
  /** 1-based line in the doc where the command starts. */
  readonly line: number;
  readonly command: string;
  /** The `# ` lines right under the command, without the `# `; empty when the doc shows none. */
  readonly expected: readonly string[];
  /** The exit status the doc shows with a last `# (exit N)` line; 0 otherwise. */
  readonly exitCode: number;
}

const FENCE = /^(`{3,}|~{3,})\s*([\w+-]*)/;
const NOT_RUN = /^<!--\s*not-run:\s*(.+?)\s*-->$/;

/** Every fenced block of a Markdown file, with the not-run mark that precedes it. */
export function extractBlocks(file: string): DocBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    const notRun = NOT_RUN.exec(previousNonBlank(lines, start) ?? '')?.[1];
    blocks.push({
      file,
      line: start + 1,
      lang: open[2] ?? '',
      code: body.join('\n'),
      ...(notRun === undefined ? {} : { notRun }),
    });
  }
  return blocks;
}

function previousNonBlank(lines: readonly string[], index: number): string | undefined {
  for (let j = index - 1; j >= 0; j--) if (lines[j]!.trim() !== '') return lines[j]!.trim();
  return undefined;
}

/**
 * Splits a shell block into commands and the output shown under each. The README convention: a
 * command (with `\` continuations) is followed directly by `# ` lines holding what it prints; `#`
 * lines that open a paragraph describe the next command and are not output. A trailing `# comment`
 * on a command line is a remark, never output.
 */
export function shellSteps(block: DocBlock): ShellStep[] {
  const lines = block.code.split('\n');
  const steps: ShellStep[] = [];
  let i = 0;
  while (i < lines.length) {
    const text = lines[i]!.trim();
    if (text === '' || text.startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    while (lines[i]!.trimEnd().endsWith('\\') && i + 1 < lines.length) i++;
    const command = lines.slice(start, i + 1).join('\n');
    const expected: string[] = [];
    for (i++; i < lines.length && /^#( |$)/.test(lines[i]!.trim()); i++) {
      expected.push(lines[i]!.trim().replace(/^# ?/, ''));
    }
    const exit = /^\(exit (\d+)\)$/.exec(expected.at(-1) ?? '');
    if (exit) expected.pop();
    steps.push({ line: block.line + 1 + start, command, expected, exitCode: exit ? Number(exit[1]) : 0 });
  }
  return steps;
}
