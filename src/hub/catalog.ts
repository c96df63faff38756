// Known-good transformers.js exports per job, offered first by "Tealeaf: Download Model…". Sizes
// are not written here: they are read from the Hub's file listing when the pick opens, per dtype.
import type { ModelRole } from '../models/types';

export interface CatalogEntry {
  readonly repo: string;
  /** The jobs it is a good choice for (preselected in the job pick). */
  readonly jobs: readonly ModelRole[];
  /** SPDX id as the model card states it. */
  readonly licence: string;
  readonly note: string;
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    repo: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct',
    jobs: ['completion'],
    licence: 'apache-2.0',
    note: 'Code model with fill-in-the-middle; the best completions of the list, the slowest on WebAssembly.',
  },
  {
    repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    jobs: ['completion'],
    licence: 'apache-2.0',
    note: 'Small general model trained with code: fast completions on any machine.',
  },
  {
    repo: 'HuggingFaceTB/SmolLM2-360M-Instruct',
    jobs: ['completion'],
    licence: 'apache-2.0',
    note: 'Larger SmolLM2: better text, about three times the time per token of the 135M.',
  },
  {
    repo: 'Xenova/gpt2',
    jobs: ['completion', 'inspector'],
    licence: 'mit',
    note: 'GPT-2 small (124M): the model most attention research describes, good for the inspector.',
  },
  {
    repo: 'Xenova/opus-mt-en-de',
    jobs: ['translation'],
    licence: 'cc-by-4.0',
    note: 'Marian English → German from Helsinki-NLP (OPUS-MT).',
  },
  {
    repo: 'Xenova/opus-mt-de-en',
    jobs: ['translation'],
    licence: 'cc-by-4.0',
    note: 'Marian German → English from Helsinki-NLP (OPUS-MT).',
  },
];
