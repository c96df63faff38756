"""Goldens for greedy and beam search: transformers' generate() over a model whose logits are a
fixed integer function of the sequence, so that the engine's search (src/engine/seq2seq/search.ts)
can be checked against transformers quickly and without a network, on every setting that changes
a search: beams, length penalty, early stopping (True, False, "never"), several end tokens, and
the logits processors (repetition penalty, no-repeat n-grams, bad words, minimum length, forced
end token).

    python3 models/recipes/make_search_goldens.py

Writes test/fixtures/goldens/search.json. test/unit/engine/searchGoldens.test.ts computes the same
logits in TypeScript (integer arithmetic, then one rounding to float32: exact in both languages).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import torch
import transformers
from transformers import GenerationConfig, GenerationMixin, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutput

VOCAB = 7
START = 0
OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "goldens" / "search.json"


#: Tokens 2 and 5 are the end tokens of the cases: they grow likelier with length, as in text.
END_TOKENS = (2, 5)


def row_logits(seed: int, sequence: list[int]) -> list[float]:
    """Logits after `sequence` (start token included): distinct within a row, so no ties."""
    h = seed
    for token in sequence:
        h = (h * 131 + token * 29 + 11) % 1_000_003
    length_bonus = (len(sequence) - 4) * 0.75
    return [((h * (t + 3) * 7919 + t * t * 104729) % 65521) / 65521 * 8 - 4 + (length_bonus if t in END_TOKENS else 0) for t in range(VOCAB)]


class TableConfig(PretrainedConfig):
    model_type = "tealeaf-table"

    def __init__(self, **kwargs):
        super().__init__(vocab_size=VOCAB, **kwargs)


class TableModel(PreTrainedModel, GenerationMixin):
    config_class = TableConfig

    def __init__(self, config: TableConfig, seed: int = 7):
        super().__init__(config)
        self.seed = seed
        self.unused = torch.nn.Linear(1, 1)

    def forward(self, input_ids: torch.Tensor, **kwargs) -> CausalLMOutput:
        rows = [row_logits(self.seed, seq) for seq in input_ids.tolist()]
        logits = torch.tensor(rows, dtype=torch.float64).to(torch.float32)  # [batch, vocab]
        return CausalLMOutput(logits=logits[:, None, :].expand(-1, input_ids.shape[1], -1).contiguous())

    def prepare_inputs_for_generation(self, input_ids, **kwargs):
        return {"input_ids": input_ids}


SEEDS = range(1, 9)
CASES: list[dict] = []
for seed, beams, penalty, early, new_tokens, eos in itertools.product(SEEDS, [1, 2, 3, 4], [1.0, 0.6, 2.0, 0.0, -0.5], [True, False, "never"], [4, 12], [[2], [2, 5]]):
    if beams == 1 and (penalty != 1.0 or early is not True):
        continue  # greedy ignores both
    CASES.append({"seed": seed, "num_beams": beams, "length_penalty": penalty, "early_stopping": early, "max_new_tokens": new_tokens, "eos_token_id": eos})
PROCESSORS = [
    {"repetition_penalty": 1.3},
    {"no_repeat_ngram_size": 2},
    {"min_length": 4},
    {"bad_words_ids": [[4], [1, 3]]},
    {"forced_eos_token_id": 5},
    {"min_length": 9, "forced_eos_token_id": 5},  # every hypothesis reaches the end, where 5 is forced
]
for seed, beams, processor in itertools.product(SEEDS, [1, 3], PROCESSORS):
    CASES.append({"seed": seed, "num_beams": beams, "length_penalty": 1.0, "early_stopping": True, "max_new_tokens": 8, "eos_token_id": [2], **processor})


def main() -> None:
    goldens = []
    for case in CASES:
        model = TableModel(TableConfig(), case["seed"]).eval()
        config = GenerationConfig(
            do_sample=False,
            num_beams=case["num_beams"],
            length_penalty=case["length_penalty"],
            early_stopping=case["early_stopping"],
            max_new_tokens=case["max_new_tokens"],
            eos_token_id=case["eos_token_id"],
            pad_token_id=6,
            bos_token_id=START,
            repetition_penalty=case.get("repetition_penalty", 1.0),
            no_repeat_ngram_size=case.get("no_repeat_ngram_size", 0),
            min_length=case.get("min_length", 0),
            bad_words_ids=case.get("bad_words_ids"),
            forced_eos_token_id=case.get("forced_eos_token_id"),
            use_cache=False,
        )
        with torch.no_grad():
            out = model.generate(torch.tensor([[START]]), generation_config=config)
        generated = out[0, 1:].tolist()
        # Beam search pads a hypothesis that ended early: keep up to its end token.
        ends = [i for i, t in enumerate(generated) if t in case["eos_token_id"]]
        tokens = generated[: ends[0] + 1] if ends else generated
        goldens.append({**case, "tokens": tokens})
    lines = ",\n  ".join(json.dumps(case, separators=(",", ":")) for case in goldens)
    header = json.dumps({"transformers": transformers.__version__, "vocab": VOCAB, "start": START})[:-1]
    OUT.write_text(f'{header}, "cases": [\n  {lines}\n]}}\n')
    print(f"wrote {len(goldens)} cases to {OUT}")


if __name__ == "__main__":
    main()
