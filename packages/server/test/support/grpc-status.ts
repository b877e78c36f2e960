/** A google.rpc.ErrorInfo as read back from a gRPC error's `grpc-status-details-bin`. */
export interface ErrorInfo {
  readonly typeUrl: string;
  readonly reason: string;
  readonly domain: string;
  readonly metadata: Record<string, string>;
}

/**
 * Reads google.rpc.Status { code = 1, message = 2, details = 3 (Any { type_url = 1, value = 2 }) }
 * and each detail as ErrorInfo { reason = 1, domain = 2, metadata = 3 (map entry key = 1, value = 2) }.
 */
export function readStatusDetails(bytes: Buffer): { code: number; message: string; details: ErrorInfo[] } {
  const status = fields(bytes);
  return {
    code: Number(status.get(1)?.[0] ?? 0),
    message: String(status.get(2)?.[0] ?? ''),
    details: (status.get(3) ?? []).map((any) => {
      const detail = fields(any as Buffer);
      const info = fields(detail.get(2)![0] as Buffer);
      const entries = (info.get(3) ?? []).map((entry) => {
        const pair = fields(entry as Buffer);
        return [String(pair.get(1)![0]), String(pair.get(2)![0])];
      });
      return {
        typeUrl: String(detail.get(1)![0]),
        reason: String(info.get(1)![0]),
        domain: String(info.get(2)![0]),
        metadata: Object.fromEntries(entries) as Record<string, string>,
      };
    }),
  };
}

/** The fields of one protobuf message: varints as numbers, length-delimited ones as Buffers. */
function fields(bytes: Buffer): Map<number, (number | Buffer)[]> {
  const out = new Map<number, (number | Buffer)[]>();
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    let value: number | Buffer;
    if (tag % 8 === 0) value = varint();
    else if (tag % 8 === 2) {
      const length = varint();
      value = bytes.subarray(at, at + length);
      at += length;
    } else throw new Error(`unexpected wire type ${tag % 8}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}
