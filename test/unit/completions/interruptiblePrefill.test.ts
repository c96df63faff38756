// Interruptible prefill, through the completion pipeline on the real engine (the default code model,
// in-process WASM): a keystroke that arrives while the prefill of an older one runs aborts it, the
// older prefill stops after the chunk it is computing, and the newer request starts next, reusing
// the chunks already prefilled. Time is counted in forward passes, so the bound is exact:
// "within one chunk's time" is "after at most one more chunk of the stale prefill".
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { CompletionService } from '../../../src/completions/service';
import { DEFAULT_SETTINGS } from '../../../src/completions/settings';
import { PREFILL_CHUNK_TOKENS } from '../../../src/engine/chunkedPrefill';
import { DecoderModel } from '../../../src/engine/decoderModel';
import type { Engine, GenerateCallOptions, GenerateRequest } from '../../../src/engine/types';
import { createInProcessHost } from '../../../src/host/inProcessHost';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// Typed text: a frozen copy of a source (see test/fixtures/text/README.md).
const SOURCE = readFileSync(path.join(ROOT, 'test', 'fixtures', 'text', 'service.ts.txt'), 'utf8');
const host = createInProcessHost();
after(() => host.dispose());

interface Pass {
  /** Which generate() call the pass belongs to: 1 for the stale keystroke, 2 for the newer one. */
  readonly call: number;
  readonly tokens: number;
}

test('a stale prefill stops after the chunk it is running, and the newer keystroke starts next, reusing it', async () => {
  const engine = await host.load(path.join(ROOT, 'models', 'tealeaf-code'), { threads: 1 });
  let calls = 0;
  // The service's engine, numbering its generate() calls (they run one after the other).
  const counted: Engine = {
    ...engine,
    info: engine.info,
    tokenize: (text) => engine.tokenize(text),
    generate: (request: GenerateRequest, options?: GenerateCallOptions) => {
      calls++;
      return engine.generate(request, options);
    },
  };
  const settings = { ...DEFAULT_SETTINGS, debounceMs: 0, maxTokens: 8 };
  const service = new CompletionService({ engine: () => counted, settings: () => settings, useCache: false });
  const cursor = SOURCE.indexOf('\n', 6000) + 1;
  const keystroke = (typed: string) => ({ documentKey: 'file:///service.ts', windowStart: 0, before: SOURCE.slice(0, cursor) + typed, after: SOURCE.slice(cursor) });

  const passes: Pass[] = [];
  let newer: Promise<unknown> | undefined;
  let issuedAfter = -1;
  const forward = DecoderModel.prototype.forward;
  DecoderModel.prototype.forward = function (this: DecoderModel, ...args: Parameters<DecoderModel['forward']>) {
    // The next keystroke arrives while the stale request computes its second chunk.
    if (calls === 1 && passes.length === 1 && newer === undefined) {
      issuedAfter = passes.length;
      newer = service.complete(keystroke('c'));
    }
    passes.push({ call: calls, tokens: args[1].length });
    return forward.apply(this, args);
  };
  try {
    const stale = await service.complete(keystroke(''));
    await newer;
    assert.equal(stale, undefined, 'the stale request shows nothing');
  } finally {
    DecoderModel.prototype.forward = forward;
  }

  const stalePasses = passes.filter((p) => p.call === 1);
  const stats = service.lastGeneration;
  assert.ok(stats !== undefined && stats.finishReason !== 'aborted', 'the newer request ran to its end');
  assert.ok(stats.promptTokens > 2 * PREFILL_CHUNK_TOKENS, `the stale prefill had ${stats.promptTokens} tokens to go through: more than the two chunks it ran`);
  assert.equal(issuedAfter, 1);
  assert.equal(stalePasses.length - issuedAfter, 1, 'one chunk of the stale prefill ran after the newer keystroke: the one in flight');
  for (const pass of stalePasses) assert.ok(pass.tokens <= PREFILL_CHUNK_TOKENS, `a prefill pass of ${pass.tokens} tokens`);
  assert.equal(passes[stalePasses.length]?.call, 2, 'the newer request’s pass came next');
  assert.ok((stats.reusedTokens ?? 0) >= 2 * PREFILL_CHUNK_TOKENS, `the newer request reused the two chunks the stale one prefilled (${stats.reusedTokens} tokens)`);
});
