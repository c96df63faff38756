// A minimal protobuf writer for hand-built ONNX test models, independent of the reader under test.
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

export function bytesField(field: number, payload: Uint8Array | string): number[] {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return [...varint(field * 8 + 2), ...varint(data.length), ...data];
}

export function varintField(field: number, value: number): number[] {
  return [...varint(field * 8), ...varint(value)];
}

export const message = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
