"""Token windows: how an encoder with a fixed input length reads a whole article.

An article is cut into overlapping windows of ``max_length`` tokens, the title in front of each,
window starts snapped to sentence starts where possible (issue #6). Long articles are never
truncated: every token of the text is in at least one window.
"""

from __future__ import annotations

import functools

from ..text import sentence_spans

__all__ = ["windows"]


@functools.lru_cache(maxsize=16)
def _special_template(tokenizer, pair: bool) -> list[list[int]]:
    """The special tokens around one or two segments, read off a probe encoding.

    Works for any fast tokenizer (``[CLS] A [SEP] B [SEP]``, ``<s> A </s></s> B </s>``, ...)
    without the slow-tokenizer ``build_inputs_with_special_tokens`` API.
    """
    probe = tokenizer("甲", "乙") if pair else tokenizer("甲")
    parts: list[list[int]] = [[]]
    previous = None
    for token_id, sequence in zip(probe["input_ids"], probe.sequence_ids(0)):
        if sequence is None:
            parts[-1].append(token_id)
        elif sequence != previous:
            parts.append([])
        previous = sequence if sequence is not None else previous
    return parts


def windows(
    tokenizer,
    text: str,
    title: str | None = None,
    *,
    max_length: int = 256,
    stride: int = 192,
    max_title_tokens: int = 48,
) -> list[list[int]]:
    """Cover a whole text with overlapping token windows, each with the title in front.

    Long articles are never truncated: every token of ``text`` is in at least one window.
    Windows start on a sentence start where one lies in the second half of the step, so a window
    rarely opens mid-sentence (the windowed max-pool of the tagger issue #6 scores each window).

    Args:
        tokenizer: A fast Hugging Face tokenizer.
        text: The body text.
        title: Optional title; its first ``max_title_tokens`` tokens are the first segment of
            every window.
        max_length: Tokens per window, special tokens included.
        stride: Body tokens between the starts of two windows (``<`` the body room gives overlap).
        max_title_tokens: Cap on the title's share of a window.

    Returns:
        One list of input ids per window (at least one, even for an empty text).

    >>> from govnlp.encoders import load_tokenizer
    >>> tokenizer = load_tokenizer()
    >>> parts = windows(tokenizer, "第一句。" * 100, "标题", max_length=64, stride=48)
    >>> len(parts), max(len(part) for part in parts)
    (7, 64)
    """
    title_ids = (
        tokenizer(title, add_special_tokens=False, verbose=False)["input_ids"][:max_title_tokens]
        if title and title.strip()
        else []
    )
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    body_ids: list[int] = encoded["input_ids"]
    room = max_length - tokenizer.num_special_tokens_to_add(pair=bool(title_ids)) - len(title_ids)
    if room < 8:
        raise ValueError(f"max_length={max_length} leaves no room for text after the title")
    step = max(1, min(stride, room))

    template = _special_template(tokenizer, bool(title_ids))

    def build(chunk: list[int]) -> list[int]:
        if title_ids:
            return template[0] + title_ids + template[1] + chunk + template[2]
        return template[0] + chunk + template[1]

    if len(body_ids) <= room:
        return [build(body_ids)]
    # Token index of the first token of every sentence, for snapping window starts.
    sentence_starts = []
    offsets = encoded["offset_mapping"]
    token = 0
    for start, _ in sentence_spans(text):
        while token < len(offsets) and offsets[token][1] <= start:
            token += 1
        if token < len(offsets):
            sentence_starts.append(token)
    starts = [0]
    cursor = 0
    while starts[-1] + room < len(body_ids):
        nominal = starts[-1] + step
        while cursor < len(sentence_starts) and sentence_starts[cursor] <= nominal:
            cursor += 1
        snapped = sentence_starts[cursor - 1] if cursor else 0
        starts.append(snapped if snapped > starts[-1] + step // 2 else nominal)
    return [build(body_ids[start : start + room]) for start in starts]
