// Large typed arrays across a process's IPC channel in small messages (processTransport.ts and the
// engine process's side in worker.ts).
//
// Node's IPC channel writes each message as one serialized buffer, and the receiver concatenates it
// whole before it deserializes it: a layer's quantized heads at 1,024 tokens are an 8 MiB message,
// allocated in the extension host as the message and again as the array it holds, both by glibc's
// malloc, whose heap keeps what such blocks leave behind (outsideHeap.ts says why). So the sender
// takes every large typed array out of a message and sends it after the message in pieces of at
// most PIECE_BYTES; the receiver fills each array, in memory outside malloc's heap, from its
// pieces and hands the message on whole, as it was sent. Nothing else changes: the other side
// never sees a piece.
import { isRecord } from '../util/unknown';
import { bufferOutsideHeap } from './outsideHeap';

/** Arrays from this size on travel in pieces; smaller ones stay in their message. */
export const BULK_MIN_BYTES = 64 * 1024;
/**
 * A piece's bytes: below glibc's initial mmap threshold (128 KiB) with the message around it, so
 * the receiver's buffers for it come from the heap and are reused, and no freed mapping of a
 * large message ever raises the threshold.
 */
export const PIECE_BYTES = 64 * 1024;

const ARRAY_TYPES = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;

type ArrayTypeName = keyof typeof ARRAY_TYPES;
type BulkArray = InstanceType<(typeof ARRAY_TYPES)[ArrayTypeName]>;

/** What stands in a message for an array that follows in pieces: its place in `arrays`. */
interface BulkMarker {
  readonly tealeafBulkArray: number;
}

/** Sent first: the message with markers, and what the arrays are. Their pieces follow in order. */
export interface BulkHead {
  readonly kind: 'bulk';
  readonly message: unknown;
  readonly arrays: readonly { readonly type: ArrayTypeName; readonly length: number }[];
}

/** Part of the arrays' bytes, in the order of `arrays`, each array's from its start. */
export interface BulkPiece {
  readonly kind: 'bulkPiece';
  /** At most PIECE_BYTES. */
  readonly bytes: Uint8Array;
}

function isBulkMarker(value: unknown): value is BulkMarker {
  return isRecord(value) && typeof value.tealeafBulkArray === 'number' && Object.keys(value).length === 1;
}

function isBulkArray(value: unknown): value is BulkArray {
  return ArrayBuffer.isView(value) && value.constructor.name in ARRAY_TYPES;
}

export function isBulkHead(value: unknown): value is BulkHead {
  return isRecord(value) && value.kind === 'bulk' && Array.isArray(value.arrays) && 'message' in value;
}

export function isBulkPiece(value: unknown): value is BulkPiece {
  return isRecord(value) && value.kind === 'bulkPiece' && value.bytes instanceof Uint8Array;
}

/**
 * A copy of a message's plain objects and arrays with each value `replace` answers for replaced
 * (class instances, typed arrays and primitives it does not answer for stay as they are).
 */
function rebuild(value: unknown, replace: (value: unknown) => unknown): unknown {
  const replaced = replace(value);
  if (replaced !== undefined) return replaced;
  if (Array.isArray(value)) return value.map((item: unknown) => rebuild(item, replace));
  if (isRecord(value) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rebuild(item, replace)]));
  }
  return value;
}

/** A copy of `value` with every large array replaced by a marker; the arrays in `taken`. */
function takeArrays(value: unknown, taken: BulkArray[]): unknown {
  return rebuild(value, (item) => {
    if (!isBulkArray(item) || item.byteLength < BULK_MIN_BYTES) return undefined;
    taken.push(item);
    return { tealeafBulkArray: taken.length - 1 } satisfies BulkMarker;
  });
}

/**
 * The messages to send for `message`, in order: itself when it holds no large array, otherwise a
 * BulkHead and the pieces of its arrays (views of the arrays' memory, not copies).
 */
export function bulkMessages(message: unknown): unknown[] {
  const arrays: BulkArray[] = [];
  const marked = takeArrays(message, arrays);
  if (arrays.length === 0) return [message];
  const head: BulkHead = {
    kind: 'bulk',
    message: marked,
    arrays: arrays.map((a) => ({ type: a.constructor.name as ArrayTypeName, length: a.length })),
  };
  const pieces: BulkPiece[] = [];
  for (const array of arrays) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) pieces.push({ kind: 'bulkPiece', bytes: bytes.subarray(at, at + PIECE_BYTES) });
  }
  return [head, ...pieces];
}

function putArrays(value: unknown, arrays: readonly BulkArray[]): unknown {
  return rebuild(value, (item) => {
    if (!isBulkMarker(item)) return undefined;
    const array = arrays[item.tealeafBulkArray];
    if (!array) throw new Error(`a bulk message refers to array ${item.tealeafBulkArray} of ${arrays.length}`);
    return array;
  });
}

/** The receiving side: feed it every message; it answers the messages as they were sent. */
export class BulkReceiver {
  /** `allocate`: where the arrays' memory comes from (outside malloc's heap: outsideHeap.ts). */
  constructor(private readonly allocate: (byteLength: number) => ArrayBuffer = bufferOutsideHeap) {}

  private pending: { head: BulkHead; arrays: BulkArray[]; bytes: Uint8Array[]; array: number; filled: number } | undefined;

  /** The whole message `message` completes, if any (a BulkHead or a piece before the last: none). */
  accept(message: unknown): { readonly message: unknown } | undefined {
    if (isBulkHead(message)) {
      if (this.pending) throw new Error('a bulk message began before the previous one was complete');
      const arrays = message.arrays.map(({ type, length }) => {
        const Type = ARRAY_TYPES[type];
        return new Type(this.allocate(length * Type.BYTES_PER_ELEMENT), 0, length);
      });
      const bytes = arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      this.pending = { head: message, arrays, bytes, array: 0, filled: 0 };
      return this.completed();
    }
    if (isBulkPiece(message)) {
      const pending = this.pending;
      const target = pending?.bytes[pending.array];
      if (!pending || !target) throw new Error('a bulk piece arrived with no array to fill');
      if (pending.filled + message.bytes.length > target.length) throw new Error('a bulk piece overruns its array');
      target.set(message.bytes, pending.filled);
      pending.filled += message.bytes.length;
      if (pending.filled === target.length) {
        pending.array++;
        pending.filled = 0;
      }
      return this.completed();
    }
    if (this.pending) throw new Error('a message arrived in the middle of a bulk message');
    return { message };
  }

  private completed(): { readonly message: unknown } | undefined {
    const pending = this.pending;
    if (!pending || pending.array < pending.bytes.length) return undefined;
    this.pending = undefined;
    return { message: putArrays(pending.head.message, pending.arrays) };
  }
}
