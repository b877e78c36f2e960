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
  | { readonly id: number; readonly error: { readonly errorCode: string; readonly message: string } }
  | { readonly id: number; readonly event: { readonly revision: number; readonly [field: string]: unknown } };

/** One frame for every message ready in this turn. */
export function encodeFrame(messages: readonly unknown[]): string {
  return JSON.stringify(messages.length === 1 ? messages[0] : messages);
}

/** The messages of one frame. */
export function decodeFrame(text: string): StreamReply[] {
  const parsed: unknown = JSON.parse(text);
  return (Array.isArray(parsed) ? parsed : [parsed]) as StreamReply[];
}
