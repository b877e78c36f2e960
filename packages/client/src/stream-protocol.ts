/**
 * Frames of the client stream (docs/adr/0006-client-stream.md). A frame is one JSON message or a
 * JSON array of messages. JSON was chosen by measurement: see the ADR.
 */

/** A request: `{id, op, store, ...args}`; ids are the client's, unique per connection. */
export interface StreamRequest {
  readonly id: number;
  readonly op: string;
  readonly store?: string;
  readonly [arg: string]: unknown;
}

/** A reply, an error, or a watch event for the watch request `id`. */
export type StreamReply =
  | { readonly id: number; readonly result: unknown }
  | {
      readonly id: number;
      readonly error: {
        readonly errorCode: string;
        readonly message: string;
        readonly oldestRevision?: number;
      };
    }
  | { readonly id: number; readonly event: { readonly revision: number; readonly [field: string]: unknown } };

/**
 * Budget of one frame, in UTF-16 units: at most 3 bytes each in UTF-8, so a frame stays under the
 * server's 1 MiB + 64 KiB limit whatever its text. A message larger than the budget goes alone.
 */
export const FRAME_BUDGET_CHARS = 256 * 1024;

/** The frames that carry `messages` in order, each within the budget (a lone message may exceed it). */
export function encodeFrames(messages: readonly unknown[], budget = FRAME_BUDGET_CHARS): string[] {
  if (messages.length === 1) return [JSON.stringify(messages[0])];
  // Almost every turn fits one frame: one stringify, no string per message and no join.
  const whole = JSON.stringify(messages);
  if (whole.length <= budget) return [whole];
  const frames: string[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const message of messages) {
    const text = JSON.stringify(message);
    if (parts.length > 0 && size + text.length + 1 > budget) {
      frames.push(encodeParts(parts));
      parts = [];
      size = 0;
    }
    parts.push(text);
    size += text.length + 1;
  }
  if (parts.length > 0) frames.push(encodeParts(parts));
  return frames;
}

function encodeParts(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `[${parts.join(',')}]`;
}

/** The messages of one frame. */
export function decodeFrame(text: string): StreamReply[] {
  const parsed: unknown = JSON.parse(text);
  return (Array.isArray(parsed) ? parsed : [parsed]) as StreamReply[];
}
