// A greedy decoder written directly on the onnxruntime API, the floor every system is compared
// with: prefill, then one `session.run` per token feeding `present.*` back as `past_key_values.*`.
// No tokenizer, no stop strings, no sampling. The same code drives onnxruntime-web (Node and
// browser) and onnxruntime-node: the caller opens the session.
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { argmax } from '../../src/engine/sampling';
import { type DecodePoint, pointFromStamps } from './types';

/** What the loop needs of an onnxruntime package (onnxruntime-web and onnxruntime-node both are one). */
export interface OrtModule {
  readonly Tensor: typeof Tensor;
}

interface PastInput {
  readonly name: string;
  /** [batch, kvHeads, 0, headDim]: batch 1, nothing past yet. */
  readonly dims: readonly number[];
  readonly type: 'float32' | 'float16';
}

export class BareOrtLoop {
  private readonly past: readonly PastInput[];
  private readonly fetches: readonly string[];
  private readonly hasPositionIds: boolean;

  constructor(
    private readonly ort: OrtModule,
    private readonly session: InferenceSession,
  ) {
    this.past = session.inputMetadata
      .filter((m) => m.name.startsWith('past_key_values.'))
      .map((m) => {
        if (!m.isTensor) throw new Error(`${m.name} is not a tensor`);
        // Symbolic dims: batch is 1, the past length is 0; numbers are kept.
        const dims = m.shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? 1 : 0));
        return { name: m.name, dims, type: m.type === 'float16' ? ('float16' as const) : ('float32' as const) };
      });
    // Only what the loop reads: exports with attention outputs would otherwise copy them out too.
    this.fetches = session.outputNames.filter((n) => n === 'logits' || n.startsWith('present.'));
    this.hasPositionIds = session.inputNames.includes('position_ids');
  }

  /** `count` greedy tokens after the prompt, timed as every system is (pointFromStamps). */
  async generate(promptIds: readonly number[], count: number): Promise<DecodePoint> {
    const { Tensor: OrtTensor } = this.ort;
    const int64 = (values: readonly number[], dims: readonly number[]) => new OrtTensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
    // past_key_values.{i}.key|value: [batch, kvHeads, past, headDim], empty at first.
    let past: Record<string, Tensor> = {};
    for (const p of this.past) {
      const size = p.dims.reduce((a, b) => a * b, 1);
      past[p.name] = new OrtTensor(p.type, p.type === 'float16' ? new Uint16Array(size) : new Float32Array(size), p.dims);
    }
    let pastLength = 0;
    let input = [...promptIds];
    const tokens: number[] = [];
    const stamps: number[] = [];
    const started = performance.now();
    while (tokens.length < count) {
      const feeds: Record<string, Tensor> = {
        ...past,
        input_ids: int64(input, [1, input.length]),
        attention_mask: new OrtTensor('int64', new BigInt64Array(pastLength + input.length).fill(1n), [1, pastLength + input.length]),
      };
      if (this.hasPositionIds) feeds.position_ids = int64(input.map((_, k) => pastLength + k), [1, input.length]);
      const out = await this.session.run(feeds, [...this.fetches]);
      const logits = out.logits as Tensor; // [batch, sequence, vocab]
      const [, sequence, vocab] = logits.dims as [number, number, number];
      tokens.push(argmax((logits.data as Float32Array).subarray((sequence - 1) * vocab, sequence * vocab)));
      stamps.push(performance.now());
      const next: Record<string, Tensor> = {};
      for (const p of this.past) next[p.name] = out[p.name.replace('past_key_values.', 'present.')] as Tensor;
      past = next;
      pastLength += input.length;
      input = [tokens[tokens.length - 1] as number];
    }
    return pointFromStamps(promptIds.length, started, stamps, tokens);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
