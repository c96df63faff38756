// The few protobuf writing primitives graph edits need: fields are copied byte for byte where kept,
// and only new or changed messages are encoded.
import { WIRE_LENGTH_DELIMITED, WIRE_VARINT } from './onnxProto';

const encoder = new TextEncoder();

export function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A length-delimited field: key, length, payload (a string is written as UTF-8). */
export function lengthField(number: number, payload: Uint8Array | string): Uint8Array {
  const data = typeof payload === 'string' ? encoder.encode(payload) : payload;
  return concat([Uint8Array.from([...varint(number * 8 + WIRE_LENGTH_DELIMITED), ...varint(data.length)]), data]);
}

/** A varint field (non-negative values). */
export function varintField(number: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(number * 8 + WIRE_VARINT), ...varint(value)]);
}
