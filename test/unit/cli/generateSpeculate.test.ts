// `tealeaf generate --speculate prompt-lookup|draft --json`: the same tokens as without, plus
// "accepted", "drafted" and "forwardPasses"; a draft model must share the tokenizer; a dynamically
// quantized file says why it does not speculate. Runs the built CLI (npm test builds first).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, ROOT } from '../engine/helpers';

const CLI = path.join(ROOT, 'bin', 'tealeaf.mjs');

/** Code that repeats itself, as prompt lookup likes it. */
const PROMPT = 'function add(a, b) {\n  return a + b;\n}\nfunction sub(a, b) {\n  return a - b;\n}\nfunction mul(a, b) {';

interface GenerateJson {
  readonly tokens: readonly number[];
  readonly text: string;
  readonly speculation: string;
  readonly draftModel?: string;
  readonly accepted: number;
  readonly drafted: number;
  readonly forwardPasses: number;
}

function generate(...args: string[]): { status: number | null; json: GenerateJson | undefined; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, 'generate', '--json', ...args], { encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, json: result.status === 0 ? (JSON.parse(result.stdout) as GenerateJson) : undefined, stderr: result.stderr };
}

describe('tealeaf generate --speculate', () => {
  it('prompt-lookup: greedy’s tokens in fewer forward passes, with the counts in the JSON', () => {
    const plain = generate('--max-new-tokens', '32', PROMPT);
    // A fixed draft length: the measured one depends on this machine's timing of each pass.
    const lookup = generate('--max-new-tokens', '32', '--speculate', 'prompt-lookup', '--draft-length', '4', PROMPT);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(lookup.status, 0, lookup.stderr);
    assert.deepEqual(lookup.json?.tokens, plain.json?.tokens);
    assert.equal(plain.json?.forwardPasses, plain.json?.tokens.length, 'one pass per token without speculation');
    assert.equal(plain.json?.drafted, 0);
    assert.equal(lookup.json?.speculation, 'prompt-lookup');
    const { accepted = 0, drafted = 0, forwardPasses = 0, tokens = [] } = lookup.json ?? {};
    assert.ok(accepted > 0 && accepted <= drafted, `${accepted} of ${drafted} accepted`);
    // Each pass chooses one token of its own besides the drafts it accepted.
    assert.equal(forwardPasses, tokens.length - accepted);
  });

  it('draft: a 4-bit copy drafts for the fp32 model; the tokens are the fp32 model’s', () => {
    const model = path.join(FIXTURES, 'hub-qwen2.5-coder');
    const plain = generate('--model', model, '--dtype', 'fp32', '--max-new-tokens', '24', 'def f(x):');
    const draft = generate('--model', model, '--dtype', 'fp32', '--max-new-tokens', '24', '--speculate', 'draft', '--draft-model', model, '--draft-dtype', 'q4', 'def f(x):');
    assert.equal(draft.status, 0, draft.stderr);
    assert.deepEqual(draft.json?.tokens, plain.json?.tokens);
    assert.equal(draft.json?.speculation, 'draft-model');
    assert.equal(draft.json?.draftModel, 'hub-qwen2.5-coder');
    assert.ok((draft.json?.drafted ?? 0) > 0);
  });

  it('refuses a draft model with another tokenizer, --speculate draft without one, and a draft length without speculation or out of range', () => {
    const other = generate('--model', path.join(FIXTURES, 'hub-qwen2.5-coder'), '--speculate', 'draft', '--draft-model', path.join(FIXTURES, 'tiny-llama'), 'def');
    assert.equal(other.status, 1);
    assert.match(other.stderr.trim(), /^tealeaf: the draft model tiny-llama has another tokenizer: its id \d+ is .+, the main model's is .+$/);
    const none = generate('--speculate', 'draft', 'def');
    assert.equal(none.status, 1);
    assert.match(none.stderr, /^tealeaf: --speculate draft needs --draft-model DIR/);
    const unknown = generate('--speculate', 'ngram', 'def');
    assert.match(unknown.stderr, /^tealeaf: --speculate must be prompt-lookup or draft, got ngram/);
    const lengthAlone = generate('--draft-length', '4', 'def');
    assert.equal(lengthAlone.status, 1);
    assert.match(lengthAlone.stderr, /^tealeaf: --draft-length goes with --speculate/);
    const zero = generate('--speculate', 'prompt-lookup', '--draft-length', '0', 'def');
    assert.equal(zero.status, 1);
    assert.match(zero.stderr, /^tealeaf: the draft length must be a whole number from 1 to 64, got 0/);
  });

  it('a file that quantizes activations per pass (q8) says why it decodes without speculation', () => {
    const run = generate('--model', path.join(FIXTURES, 'hub-gpt2'), '--dtype', 'q8', '--speculate', 'prompt-lookup', '--max-new-tokens', '8', 'the the the');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.json?.drafted, 0);
    assert.match(run.stderr, /quantizes activations with one scale per pass.*decodes without speculation/);
  });
});
