/** One SSE block as a test reads it: an event (with id) or the error that ended the stream. */
export interface SseBlock {
  readonly id: number | undefined;
  readonly type: string;
  readonly data: any;
}

/** An open SSE watch in a test: its events, when `: watching` came, and how it ended. */
export interface SseWatch {
  readonly events: SseBlock[];
  /** The comment lines the server sent (`watching`, `ping`, a per-server notice), in order. */
  readonly comments: string[];
  /** Resolves with `performance.now()` when the server said `: watching`. */
  readonly live: Promise<number>;
  /** Resolves when the server ended the stream, with its `event: error` block if it sent one. */
  readonly ended: Promise<SseBlock | undefined>;
  close(): void;
}

/** One SSE block's comment lines and fields (also read by the torture runner's watch reader). */
export function parseBlock(block: string): { comments: string[]; fields: Record<string, string> } {
  const comments: string[] = [];
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.includes(':')) fields[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 2);
  }
  return { comments, fields };
}

/** Opens `url` as an SSE watch and reads it until the server ends it or `close` is called. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseWatch> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`watch failed: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const events: SseBlock[] = [];
  const seen: string[] = [];
  let markLive: (at: number) => void = () => undefined;
  const live = new Promise<number>((resolve) => (markLive = resolve));
  const ended = (async (): Promise<SseBlock | undefined> => {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return undefined;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const { comments, fields } = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        seen.push(...comments);
        if (comments.includes('watching')) markLive(performance.now());
        if (fields.data === undefined) continue;
        const block = {
          id: fields.id ? Number(fields.id) : undefined,
          type: fields.event ?? '',
          data: JSON.parse(fields.data),
        };
        if (block.type === 'error') return block;
        events.push(block);
      }
    }
  })();
  return { events, comments: seen, live, ended, close: () => controller.abort() };
}

/** Waits until `check` holds, polling every 20 ms, or fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
