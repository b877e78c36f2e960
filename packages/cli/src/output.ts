/** Where a command writes: human text by default, JSON with `--json`. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** Prints one result: `human()` as text, or `data` as one JSON line with `--json`. */
export function emit(io: Io, json: boolean, data: unknown, human: () => string): void {
  io.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human()}\n`);
}

/** `1.2s`, `3m 4s`, `250ms`. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m ${Math.round((ms % 60_000) / 1_000)}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** Left-aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner on stderr while waiting, only on a TTY; returns the stop. */
export function spinner(io: Io, text: () => string): () => void {
  if (!io.stderr.isTTY) return () => undefined;
  let frame = 0;
  const timer = setInterval(
    () => io.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${text()}\x1b[K`),
    80,
  );
  timer.unref();
  return () => {
    clearInterval(timer);
    io.stderr.write('\r\x1b[K');
  };
}
