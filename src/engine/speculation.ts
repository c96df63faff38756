// Speculative decoding's moving parts apart from the verify loop (generate.ts): where drafts come
// from, and how many to ask for. A draft is only a guess: one forward pass of the model scores every
// drafted position at once, and the loop keeps the longest prefix greedy decoding would have chosen,
// so what is generated never depends on the drafts, only how many passes it takes.
import { DraftLength } from './draftLength';
import { UnsupportedError } from './errors';
import { promptLookup } from './promptLookup';
import type { Speculation } from './types';

/** A guess at the next tokens. */
export interface Draft {
  readonly tokens: readonly number[];
  /**
   * What sort of guess it is: acceptance is estimated per kind (prompt lookup: how many tokens of
   * the suffix matched; a draft model: one kind).
   */
  readonly kind: string;
}

export interface Drafter {
  /**
   * Up to `max` tokens likely to follow `context` (prompt + tokens generated so far); none when
   * there is no guess. `recent`: tokens seen lately that the context lacks (the previous request's
   * suggestion, which the user may be typing), a hint a drafter may use. A signal that aborts may
   * end a draft early.
   */
  draft(context: readonly number[], max: number, signal?: AbortSignal, recent?: readonly number[]): Promise<Draft>;
  /** Releases what the drafter holds (a draft model's session). */
  dispose?(): Promise<void>;
  /**
   * Drafts cost no model pass: the longest is made and its kind decides how much of it is fed, and
   * one that is not fed is still checked against the model's choice.
   */
  readonly free?: boolean;
}

/** Drafts from the prompt and the text already generated (promptLookup.ts). */
export const promptLookupDrafter: Drafter = {
  draft: async (context, max, _signal, recent = []) => {
    // The recent tokens go first: a match in the context itself is later, so it wins at equal length.
    const { tokens, ngram } = promptLookup(recent.length > 0 ? [...recent, ...context] : context, max);
    return { tokens, kind: `ngram-${ngram}` };
  },
  free: true,
};

/** Where drafts come from and how many to ask for, kept across requests. */
export interface SpeculationPlan {
  readonly drafter: Drafter;
  readonly length: DraftLength;
}

/** Most drafts a request may fix per pass: each is a row of logits (64 rows of Qwen's vocabulary are 39 MB). */
export const MAX_FIXED_DRAFT_LENGTH = 64;

/** The drafters one engine has: prompt lookup always, a draft model when one was loaded. */
export class Speculators {
  private readonly lookup: SpeculationPlan = { drafter: promptLookupDrafter, length: new DraftLength() };
  private readonly model: SpeculationPlan | undefined;

  /** `unavailable`: why this model never speculates (see ModelInfo.speculationUnavailable). */
  constructor(
    draft: Drafter | undefined,
    readonly unavailable?: string,
  ) {
    this.model = draft ? { drafter: draft, length: new DraftLength() } : undefined;
  }

  dispose(): Promise<void> {
    return this.model?.drafter.dispose?.() ?? Promise.resolve();
  }

  /**
   * The plan a request asks for; undefined decodes one token per pass. `draftLength`: feed that many
   * drafts every pass instead of the measured length (the estimates kept across requests are left
   * as they were).
   */
  plan(speculation: Speculation | undefined, draftLength?: number): SpeculationPlan | undefined {
    if (speculation === undefined || speculation === 'off' || this.unavailable !== undefined) return undefined;
    if (draftLength !== undefined && !(Number.isInteger(draftLength) && draftLength >= 1 && draftLength <= MAX_FIXED_DRAFT_LENGTH)) {
      throw new RangeError(`the draft length must be a whole number from 1 to ${MAX_FIXED_DRAFT_LENGTH}, got ${draftLength}`);
    }
    const plan = speculation === 'prompt-lookup' ? this.lookup : this.model;
    if (!plan) throw new UnsupportedError('speculation "draft-model" needs a draft model loaded beside this one (tealeaf.completion.draftModel, or --draft-model)');
    return draftLength === undefined ? plan : { drafter: plan.drafter, length: new DraftLength({ max: draftLength, fixed: draftLength }) };
  }
}
