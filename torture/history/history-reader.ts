import { readFileSync } from 'node:fs';
import { OP_KINDS } from './history-op.js';
import type { HistoryOp } from './history-op.js';

const KINDS: ReadonlySet<string> = new Set(OP_KINDS);
const OUTCOMES: ReadonlySet<string> = new Set(['ok', 'fail', 'unknown']);

/** A history line that does not parse or lacks a required field; names the line. */
export class HistoryFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`history line ${line}: ${message}`);
    this.name = 'HistoryFormatError';
  }
}

/** Parses JSON-lines text into ops, checking the fields every op needs; blank lines are skipped. */
export function parseHistory(text: string): HistoryOp[] {
  const ops: HistoryOp[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    ops.push(parseLine(raw, i + 1));
  });
  return ops;
}

/** Reads a JSON-lines history file. */
export function readHistory(path: string): HistoryOp[] {
  return parseHistory(readFileSync(path, 'utf8'));
}

function parseLine(raw: string, line: number): HistoryOp {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new HistoryFormatError(line, `not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null) throw new HistoryFormatError(line, 'not an object');
  const op = value as Record<string, unknown>;
  const need = (field: string, ok: boolean) => {
    if (!ok) throw new HistoryFormatError(line, `missing or bad "${field}"`);
  };
  need('index', Number.isInteger(op.index));
  need('process', typeof op.process === 'string');
  need('kind', KINDS.has(op.kind as string));
  need('startMs', Number.isFinite(op.startMs));
  need('endMs', Number.isFinite(op.endMs) && (op.endMs as number) >= (op.startMs as number));
  need('outcome', OUTCOMES.has(op.outcome as string));
  return op as unknown as HistoryOp;
}
