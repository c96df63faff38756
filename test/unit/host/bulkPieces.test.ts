// Large typed arrays cross the engine process's channel in pieces: what the receiver hands on is the
// message as it was sent (types, values, nesting), no message on the channel is large, and a channel
// out of step is an error, never a wrong answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serialize } from 'node:v8';
import { BULK_MIN_BYTES, BulkReceiver, bulkMessages, PIECE_BYTES } from '../../../src/host/bulkPieces';

/** What the receiver hands on for `messages`, in order. */
function receiveAll(messages: readonly unknown[]): unknown[] {
  const receiver = new BulkReceiver();
  const out: unknown[] = [];
  for (const message of messages) {
    // As the channel does: each message is serialized and read back on the other side.
    const whole = receiver.accept(structuredClone(message));
    if (whole) out.push(whole.message);
  }
  return out;
}

function ramp(length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => i * 0.5 - 7);
}

describe('bulk pieces', () => {
  it('sends a message without a large array as itself', () => {
    const message = { kind: 'response', id: 3, ok: true, result: { scales: new Float32Array(BULK_MIN_BYTES / 4 - 1) } };
    assert.deepEqual(bulkMessages(message), [message]);
    assert.equal(bulkMessages(message)[0], message);
  });

  it('hands on a message with large arrays of several types, nested in objects and arrays, as it was sent', () => {
    const quantized = Uint8Array.from({ length: 3 * PIECE_BYTES + 17 }, (_, i) => i % 251);
    const message = {
      kind: 'response',
      id: 7,
      ok: true,
      result: {
        attention: { rows: [{ id: 1, text: 'a' }], keys: 2, layerData: [ramp(BULK_MIN_BYTES / 4), ramp(5)] },
        quantized: [{ count: 1, rows: 2, keys: 3, data: quantized, scales: new Float32Array([1, 2]) }],
        ids: Int32Array.from({ length: BULK_MIN_BYTES }, (_, i) => -i),
        none: null,
        flag: false,
      },
    };
    const sent = bulkMessages(message);
    assert.ok(sent.length > 1, 'the large arrays travel apart from the message');
    const received = receiveAll(sent);
    assert.equal(received.length, 1);
    assert.deepEqual(received[0], message);
    const result = (received[0] as typeof message).result;
    assert.ok(result.attention.layerData[0] instanceof Float32Array);
    assert.ok(result.quantized[0]!.data instanceof Uint8Array);
    assert.ok(result.ids instanceof Int32Array);
  });

  it('sends an array that is a view into a larger buffer as the view alone', () => {
    const whole = ramp(BULK_MIN_BYTES); // 4 × BULK_MIN_BYTES bytes
    const view = whole.subarray(BULK_MIN_BYTES / 2, BULK_MIN_BYTES / 2 + BULK_MIN_BYTES / 4 + 3);
    const [received] = receiveAll(bulkMessages({ view }));
    assert.deepEqual((received as { view: Float32Array }).view, view.slice());
    const pieceBytes = bulkMessages({ view }).slice(1).reduce((n: number, m) => n + (m as { bytes: Uint8Array }).bytes.byteLength, 0);
    assert.equal(pieceBytes, view.byteLength);
  });

  it('keeps every message on the channel small: no piece over PIECE_BYTES, none serialized over 128 KiB', () => {
    const message = { kind: 'response', id: 1, ok: true, result: { data: new Uint8Array(8 * 1024 * 1024), scales: ramp(32 * 1024) } };
    const sent = bulkMessages(message);
    assert.equal(sent.length, 1 + Math.ceil((8 * 1024 * 1024) / PIECE_BYTES) + Math.ceil((32 * 1024 * 4) / PIECE_BYTES));
    for (const m of sent) assert.ok(serialize(m).byteLength < 128 * 1024, `a message of ${serialize(m).byteLength} bytes`);
  });

  it('hands on messages in the order they were sent, bulk or not', () => {
    const big = { kind: 'response', id: 2, ok: true, result: new Uint8Array(BULK_MIN_BYTES + 1).fill(9) };
    const before = { kind: 'token', requestId: 1, token: { id: 4, textSoFar: 'x' } };
    const after = { kind: 'notice', level: 'info', text: 'done' };
    assert.deepEqual(receiveAll([before, ...bulkMessages(big), after]), [before, big, after]);
  });

  it('fails, rather than answer wrongly, when a channel is out of step', () => {
    const sent = bulkMessages({ data: new Uint8Array(2 * PIECE_BYTES).fill(1) });
    assert.throws(() => receiveAll([sent[1]]), /no array to fill/);
    assert.throws(() => receiveAll([sent[0], { kind: 'notice', level: 'info', text: 'x' }]), /in the middle of a bulk message/);
    assert.throws(() => receiveAll([sent[0], sent[0]]), /began before the previous one/);
    assert.throws(() => receiveAll([sent[0], sent[1], { kind: 'bulkPiece', bytes: new Uint8Array(PIECE_BYTES + 1) }]), /overruns its array/);
    assert.throws(() => receiveAll([{ ...(sent[0] as object), message: { tealeafBulkArray: 5 } }, ...sent.slice(1)]), /refers to array 5 of 1/);
  });
  it('takes out an array of exactly BULK_MIN_BYTES, and leaves a DataView, class instances and what they hold as they are', () => {
    const exact = new Uint8Array(BULK_MIN_BYTES).fill(3);
    const sent = bulkMessages({ exact });
    assert.equal(sent.length, 1 + BULK_MIN_BYTES / PIECE_BYTES);
    assert.deepEqual((sent[0] as { message: unknown }).message, { exact: { tealeafBulkArray: 0 } });
    const view = new DataView(new ArrayBuffer(BULK_MIN_BYTES * 2));
    const map = new Map([['a', new Uint8Array(BULK_MIN_BYTES)]]);
    const kept = { view, map, date: new Date(0) };
    assert.equal(bulkMessages(kept)[0], kept);
  });

  it('hands on an object that only looks like a marker as it was sent', () => {
    const lookalike = { tealeafBulkArray: 0, other: 1 };
    const message = { lookalike, data: new Uint8Array(BULK_MIN_BYTES) };
    assert.deepEqual(receiveAll(bulkMessages(message)), [message]);
  });

  it('knows its own messages from others by their kind and fields', () => {
    const receiver = new BulkReceiver();
    for (const other of [{ kind: 'bulk', arrays: 'none', message: 1 }, { kind: 'bulk', arrays: [] }, { kind: 'response', arrays: [], message: 1 }, { kind: 'notice', bytes: new Uint8Array(2) }, { kind: 'bulkPiece', bytes: [1, 2] }, { kind: 'response' }, null, 7]) {
      assert.deepEqual(receiver.accept(other), { message: other }, JSON.stringify(other));
    }
  });
});
