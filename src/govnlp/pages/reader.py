"""The break reader: does the next line continue this one? A small character CNN, run in numpy.

The character 4-gram test (:mod:`govnlp.pages.ngrams`) sees three characters on each side of a
break; the reader sees 24 before it (with the line start when the line is shorter) and 8 after,
enough for ``为了方便老年居民|办理医保报销业务`` or a clause that has not found its verb. Its logit
is a real-valued feature of the page model's CRF (issue #3; figures in docs/pages.md). Inference is
plain numpy; training (:mod:`govnlp.pages.train`) uses torch.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["BreakReader", "break_readings", "encode_breaks"]

READ_LEFT, READ_RIGHT = 24, 8
PAD, UNKNOWN, LINE_START, LINE_END, BREAK = range(5)  # reserved character ids
EMBEDDING, CHANNELS, DILATIONS = 32, 48, (1, 2, 4)
READ_SCALE = 4.0  # the CRF sees the reader's logit / 4, clipped to [-4, 4]


def encode_breaks(pairs: list[tuple[str, str]], ids: dict[str, int]) -> np.ndarray:
    """Character ids of ``(left, right)`` line pairs: ``[start] left[-24:] [break] right[:8] [end]``,
    padded on the outer sides."""
    width = READ_LEFT + READ_RIGHT + 3
    out = np.zeros((len(pairs), width), dtype=np.int64)
    for row, (left, right) in enumerate(pairs):
        head = [ids.get(c, UNKNOWN) for c in left[-READ_LEFT:]]
        if len(left) <= READ_LEFT:
            head.insert(0, LINE_START)
        tail = [ids.get(c, UNKNOWN) for c in right[:READ_RIGHT]]
        if len(right) <= READ_RIGHT:
            tail.append(LINE_END)
        out[row, READ_LEFT + 1 - len(head) : READ_LEFT + 1] = head
        out[row, READ_LEFT + 1] = BREAK
        out[row, READ_LEFT + 2 : READ_LEFT + 2 + len(tail)] = tail
    return out


class BreakReader:
    """Numpy inference of the reader trained by :func:`govnlp.pages.train.train_break_reader`."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = {name: a for name, a in arrays.items() if name.startswith("reader_")}
        self.ids = {chr(c): i + 5 for i, c in enumerate(arrays["reader_chars"].tolist())}
        # Conv weights are stored as (3 taps, in, out); one matrix product computes all taps.
        self.convs = []
        for k, dilation in enumerate(DILATIONS):
            weight = arrays[f"reader_conv{k}_weight"].astype(np.float32)
            taps, fan_in, fan_out = weight.shape
            stacked = weight.transpose(1, 0, 2).reshape(fan_in, taps * fan_out)
            self.convs.append(
                (stacked, arrays[f"reader_conv{k}_bias"].astype(np.float32), dilation)
            )
        # The first layer's taps of every character, looked up instead of multiplied per page.
        self.first_taps = arrays["reader_embedding"].astype(np.float32) @ self.convs[0][0]
        self.hidden = [arrays[f"reader_hidden_{n}"].astype(np.float32) for n in ("weight", "bias")]
        self.output = [arrays[f"reader_output_{n}"].astype(np.float32) for n in ("weight", "bias")]

    def __call__(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Logits of "the second line continues the first", one per pair."""
        # A few hundred pairs at a time keep the activations in the CPU cache.
        chunks = [pairs[i : i + 512] for i in range(0, len(pairs), 512)]
        return np.concatenate(
            [self._logits(chunk) for chunk in chunks] or [np.zeros(0, np.float32)]
        )

    def _logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        ids = encode_breaks(pairs, self.ids)
        x = None
        for weight, bias, dilation in self.convs:
            if x is None:
                taps = self.first_taps[ids].reshape(*ids.shape, 3, -1)
            else:
                n, width, fan_in = x.shape
                taps = (x.reshape(n * width, fan_in) @ weight).reshape(n, width, 3, -1)
            y = taps[:, :, 1] + bias  # the centre tap, then the shifted outer ones (zero padding)
            y[:, dilation:] += taps[:, :-dilation, 0]
            y[:, :-dilation] += taps[:, dilation:, 2]
            np.maximum(y, 0.0, out=y)
            if x is None:
                x = y
            else:
                x += y  # residual connections after the first layer
        at = READ_LEFT + 1
        pooled = np.concatenate([x[:, at], x[:, :at].max(axis=1), x[:, at + 1 :].max(axis=1)], 1)
        hidden = np.maximum(pooled @ self.hidden[0] + self.hidden[1], 0.0)
        return (hidden @ self.output[0] + self.output[1])[:, 0]


def break_readings(lines: list[str], reader: BreakReader | None) -> np.ndarray:
    """The reader's logit for each pair of consecutive lines (0 without a reader in the model).

    >>> break_readings(["全县推行积分管理。"], None).shape
    (0,)
    """
    if reader is None or len(lines) < 2:
        return np.zeros(max(0, len(lines) - 1), dtype=np.float32)
    return reader(list(itertools.pairwise(lines)))
