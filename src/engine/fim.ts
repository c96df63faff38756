// Fill-in-the-middle prompts in each model family's documented format. The order matters for the
// KV cache: as the user types, the text before the cursor grows, so a prompt that puts the suffix
// first (SPM) keeps everything up to the cursor reusable, while prefix-suffix-middle (PSM) must
// prefill the suffix again after every keystroke. Only families trained on both orders get SPM.
import { type FittedText, fitText } from './fitText';
import type { ModelTokenizer } from './tokenizer';
import type { FimTokens } from './types';

export type FimOrder = 'psm' | 'spm';

/** How a family writes FIM prompts: the order used and the tokens that end a middle. */
export interface FimFormat {
  readonly order: FimOrder;
  /** Tokens the model writes when the middle is done (besides its EOS). */
  readonly endTokens: readonly string[];
}

/**
 * Qwen2.5-Coder documents PSM only (`<|fim_prefix|>…<|fim_suffix|>…<|fim_middle|>`) and ends a
 * middle with <|endoftext|> or by starting a new file or repository. StarCoder was trained on
 * both orders with `<fim_prefix><fim_suffix>{suffix}<fim_middle>{prefix}` as its SPM form.
 * CodeLlama's <PRE>/<SUF>/<MID> prompts are written PSM here and end at <EOT>.
 */
export function fimFormat(tokens: FimTokens): FimFormat {
  if (tokens.prefix === '<fim_prefix>') return { order: 'spm', endTokens: ['<|endoftext|>', '<file_sep>'] };
  if (tokens.prefix === '<PRE>') return { order: 'psm', endTokens: ['<EOT>'] };
  return { order: 'psm', endTokens: ['<|endoftext|>', '<|fim_pad|>', '<|file_sep|>', '<|repo_name|>', '<|im_end|>'] };
}

/** The FIM prompt text: special tokens around the prefix and the suffix, in the format's order. */
export function fimPromptText(tokens: FimTokens, order: FimOrder, prefix: string, suffix: string): string {
  return order === 'spm'
    ? `${tokens.prefix}${tokens.suffix}${suffix}${tokens.middle}${prefix}`
    : `${tokens.prefix}${prefix}${tokens.suffix}${suffix}${tokens.middle}`;
}

/**
 * Fits prefix and suffix into `budget` tokens and builds the prompt: the prefix is cut from the
 * left (the text nearest the cursor matters most), the suffix from the right, and the suffix gets
 * at most a third of the budget. Returns the prompt fitted, with its tokens: encoding the text
 * splits on the special tokens, so its ids are the format's, token for token.
 */
export function fitFimPrompt(tokenizer: ModelTokenizer, tokens: FimTokens, order: FimOrder, prefix: string, suffix: string, budget: number): FittedText {
  // The FIM tokens and whatever the tokenizer adds in front (BOS).
  const overhead = tokenizer.encode(fimPromptText(tokens, order, '', '')).length;
  const room = Math.max(2, budget - overhead);
  const suffixSpans = tokenizer.encodeWithSpans(suffix, { addSpecialTokens: false });
  const suffixKeep = Math.min(suffixSpans.length, Math.floor(room / 3));
  const keptSuffix = suffixKeep === 0 ? '' : suffix.slice(0, (suffixSpans[suffixKeep - 1] as { end: number }).end);
  let prefixBudget = room - suffixKeep;
  for (;;) {
    const keptPrefix = fitText(tokenizer, prefix, Math.max(1, prefixBudget), { addSpecialTokens: false }).text;
    const text = fimPromptText(tokens, order, keptPrefix, keptSuffix);
    const encoded = tokenizer.encodeWithSpans(text);
    const over = encoded.length - budget;
    // Tokens can merge differently across the cut; shrink the prefix until the whole fits.
    if (over <= 0 || prefixBudget <= 1) return { text, offset: 0, tokens: encoded, droppedTokens: 0 };
    prefixBudget -= over;
  }
}
