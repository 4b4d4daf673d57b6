"""Make a tiny random-weight Llama that the real vLLM server can load on CPU; nothing is downloaded.

    .venv-vllm-server/bin/python tests/serving/vllm_server/tiny_model.py OUT_DIR

Runs in the vLLM virtualenv (transformers, tokenizers, torch, safetensors). The model is good for
exercising the server (routes, auth, metrics, streaming, shutdown), not for text: hidden 128,
2 layers, 4 attention heads (head size 32, the CPU attention backend's minimum), 2 KV heads,
vocabulary 512, 65536 positions, float32 safetensors (loads on any x86 CPU). The tokenizer is a
byte-level BPE trained here on the text below; the chat template is a plain Jinja one.
Deterministic: a fixed seed and a fixed corpus, so the files only change with this recipe.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RECIPE_VERSION = "2"
"""Bumped whenever the recipe changes; written to OUT_DIR/recipe.json."""

HIDDEN = 128
LAYERS = 2
HEADS = 4
KV_HEADS = 2
VOCAB = 512
POSITIONS = 65536
"""Long enough that a request can outlast any drain window the tests use (the model has no
position weights: RoPE, so the number costs nothing)."""
SEED = 1234

SPECIAL_TOKENS = ["<|begin_of_text|>", "<|end_of_text|>", "<|user|>", "<|assistant|>", "<|system|>"]

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)

_SENTENCES = (
    "The fleet serves language models on GPUs in three clouds and one data centre.",
    "Each model server runs vLLM behind a gateway that checks an API key.",
    "A request waits in the queue, runs a prefill, then decodes one token at a time.",
    "Prometheus scrapes the metrics endpoint every fifteen seconds.",
    "When a pod stops, it drains the requests it holds before it exits.",
    "The quick brown fox jumps over the lazy dog while the cache fills up.",
    "Numbers such as 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 42 and 2048 appear in logs.",
    "Streaming answers arrive as server-sent events, each line starting with data.",
    "Operators read dashboards, tune autoscalers and answer pages at night.",
    "Tokens per second, time to first token and queue depth tell how busy a replica is.",
)


def corpus() -> list[str]:
    """A few KB of text: every sentence, in several orders and cases."""
    lines: list[str] = []
    for shift in range(len(_SENTENCES)):
        rotated = _SENTENCES[shift:] + _SENTENCES[:shift]
        lines.append(" ".join(rotated))
        lines.append(" ".join(s.lower() for s in rotated[::2]))
        lines.append(" ".join(s.upper() for s in rotated[1::3]))
    return lines


def build_tokenizer(out: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    if tok.get_vocab_size() > VOCAB:
        raise SystemExit(f"tokenizer has {tok.get_vocab_size()} tokens, more than the model's {VOCAB}")
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|begin_of_text|>",
        eos_token="<|end_of_text|>",
        pad_token="<|end_of_text|>",
        model_max_length=POSITIONS,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)


def build_model(out: Path) -> None:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(SEED)
    config = LlamaConfig(
        hidden_size=HIDDEN,
        intermediate_size=HIDDEN * 2,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        vocab_size=VOCAB,
        max_position_embeddings=POSITIONS,
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config).to(torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    GenerationConfig(bos_token_id=0, eos_token_id=1, pad_token_id=1).save_pretrained(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    build_tokenizer(out)
    build_model(out)
    # The tokenizer's special tokens must be the ids the model config names.
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out)
    assert tok.bos_token_id == 0 and tok.eos_token_id == 1, (tok.bos_token_id, tok.eos_token_id)
    (out / "recipe.json").write_text(
        json.dumps({"recipe": RECIPE_VERSION, "hidden": HIDDEN, "layers": LAYERS, "heads": HEADS,
                    "kvHeads": KV_HEADS, "vocab": VOCAB, "positions": POSITIONS, "seed": SEED}, indent=2) + "\n",
        encoding="utf-8",
    )
    print(f"tiny model written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
