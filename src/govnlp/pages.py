"""Split a raw newspaper page dump into items and repair column breaks.

A page copied out of a PDF or an e-paper site runs several items together, one paragraph per
line (often with blank lines between): articles (title, optional byline, body), photo items
(caption and credit), and fragments continued from another page. The layout also splits
paragraphs across columns, anywhere, even inside a word (``……发挥作用,嘉`` / ``兴市拓宽……``).

:func:`split_page` labels every paragraph (title, byline, credit, body), decides at every
paragraph boundary whether it is a column break (join), a paragraph break or an item boundary,
and returns :class:`PageItem` objects with character offsets into the input. Nothing is lost or
invented: the non-whitespace characters of all titles, bylines and paragraphs, in order, are
exactly those of the input.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import logging
import math
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["PageItem", "Paragraph", "split_page", "split_paragraphs"]

logger = logging.getLogger(__name__)

# A paragraph that ends with one of these is complete; anything else may continue in the next
# column. The colon and semicolon end list items and lead-ins far more often than a column
# break happens to fall right after them.
_COMPLETE_END = set("。！？!?…”」』）)》】：:；;—")
# Personal names start with a common surname; this keeps short headlines such as 抢农时 from
# passing for a byline or a photo credit.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁"
    "尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时"
    "穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾"
    "隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮"
    "粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬"
    "来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎"
    "勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
# Newspapers pad a two-character name to the width of a three-character one (申　琳, 王 五), so a
# one-character given name may stand apart from the surname.
_NAME = (
    rf"(?:欧阳|司马|上官|诸葛|东方|皇甫|令狐|司徒|[{_SURNAMES}])"
    r"(?:[\u4e00-\u9fff·]{1,3}|\s{1,2}[\u4e00-\u9fff](?!(?!摄)[\u4e00-\u9fff]))"
)
_ROLE = r"(?:(?:本报|新华社|人民日报|中新社)?(?:特约)?(?:记者|通讯员|实习生))"
_BYLINE_RE = re.compile(rf"^(?:{_ROLE}\s*)?{_NAME}(?:[\s、]+(?:{_ROLE}\s*)?{_NAME}){{0,2}}$")
# 摄, 摄影 or 摄影报道, then the agency or picture desk in brackets: 王五摄（人民视觉）.
_CREDIT_RE = re.compile(
    rf"^(?:{_ROLE}\s*)?{_NAME}(?:[\s、]+(?:{_ROLE}\s*)?{_NAME}){{0,2}}\s*摄(?:影(?:报道)?)?"
    r"(?:\s*[（(][^（）()]{2,8}[）)])?$"
)


@dataclass
class Paragraph:
    """One non-blank line of the page, with its offsets in the input."""

    text: str
    start: int
    end: int


@dataclass
class PageItem:
    """One item of a page.

    Attributes:
        kind: ``"article"``, ``"photo"`` or ``"fragment"`` (body text with no title of its own,
            continued from another page).
        title: The title line, ``""`` when there is none.
        byline: Author names for an article, the credit line for a photo; ``""`` when absent.
        paragraphs: Body paragraphs (a photo's caption), column breaks repaired.
        start: Offset of the item's first character in the input.
        end: Offset just past its last character.
    """

    kind: str
    title: str = ""
    byline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by newlines."""
        return "\n".join(self.paragraphs)

    def to_dict(self) -> dict:
        """The JSON form: exactly the keys kind, title, byline, paragraphs, start, end."""
        return asdict(self)


def split_paragraphs(text: str) -> list[Paragraph]:
    """Non-blank lines of ``text`` (stripped, including full-width spaces) with their offsets.

    >>> [p.text for p in split_paragraphs("标题\\n\\u3000\\n  正文。 \\n")]
    ['标题', '正文。']
    """
    paragraphs = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip())
        start = match.start() + lead
        paragraphs.append(Paragraph(stripped, start, start + len(stripped)))
    return paragraphs


def _is_credit(text: str) -> bool:
    return bool(_CREDIT_RE.match(text))


def _is_names(text: str) -> bool:
    return bool(_BYLINE_RE.match(text))


def _is_complete(text: str) -> bool:
    return text[-1] in _COMPLETE_END


# ---------------------------------------------------------------------------------------------
# Line roles. Every non-blank line gets one of ROLES; "join" means the line continues the line
# before it across a column break. A linear-chain conditional random field (Lafferty et al.
# 2001) scores role sequences from features of each line and its neighbours plus learned scores
# for each pair of consecutive roles; it is trained on generated pages
# (``scripts/train_pages.py``, issue #3), and decoding keeps only sequences that obey the page
# grammar below. Trained jointly with the pair scores, it finds titles more often than a per-line
# logistic model under the same grammar did (issue #3 notes).

ROLES = ("title", "byline", "caption", "credit", "body", "join")
_FOLLOWS = {  # which roles may come right after each role
    None: {"title", "caption", "body"},
    "title": {"byline", "body", "caption"},
    "byline": {"body", "caption"},
    "caption": {"credit"},
    "credit": {"title", "caption", "body"},
    "body": {"title", "caption", "body", "join"},
    "join": {"title", "caption", "body", "join"},
}
MODEL_FILE = "page_model.safetensors"
N_BUCKETS = 1 << 18


def _char_class(char: str) -> str:
    if char in "。！？!?":
        return "end"
    if char in "…":
        return "ellipsis"
    if char in "，,、；;：:":
        return "comma"
    if char in "“‘「『《（(【":
        return "open"
    if char in "”’」』》）)】":
        return "close"
    if char.isdigit():
        return "digit"
    if char.isascii() and char.isalpha():
        return "latin"
    if "\u4e00" <= char <= "\u9fff":
        return "cjk"
    return "other"


def _line_features(text: str, prefix: str) -> list[str]:
    commas = text.count("，") + text.count(",")
    ends = sum(text.count(mark) for mark in "。！？!?")
    feats = [
        f"{prefix}len={min(len(text), 120) // 4}",
        f"{prefix}commas={min(commas, 4)}",
        f"{prefix}ends={min(ends, 3)}",
        f"{prefix}last={text[-1]}",
        f"{prefix}lastcls={_char_class(text[-1])}",
        f"{prefix}first={text[0]}",
        f"{prefix}firstcls={_char_class(text[0])}",
        f"{prefix}names={_is_names(text)}",
        f"{prefix}credit={_is_credit(text)}",
        f"{prefix}space={' ' in text or chr(0x3000) in text}",
        f"{prefix}quote={any(q in text for q in '“”「」')}",
        f"{prefix}end2={text[-2:]}",
        f"{prefix}start2={text[:2]}",
        f"{prefix}short_open={len(text) <= 40 and _char_class(text[-1]) not in ('end', 'comma')}",
    ]
    return feats


# ---------------------------------------------------------------------------------------------
# Character n-gram statistics of running text. Across a column break the sentence reads on;
# across a paragraph break one paragraph ends and the next starts. A character 4-gram model with
# Witten-Bell interpolation (Witten & Bell 1991), counted on corpus articles, scores both readings
# of every break. On validation pages its log-likelihood ratio raised join precision by 1-1.5
# points and recall by 1.5-2 (issue #3); Witten-Bell weights ranked joins above paragraph breaks
# a little better than fixed interpolation weights (AUC 0.979 against 0.976). The n-grams are
# stored as exact 32-bit keys: hashed count buckets (an earlier version) collided so often that
# 3- and 4-gram estimates were noise.

NGRAM_ORDER = 4
_LOOKAHEAD = 3  # characters after a break that the continuation test reads
_PARAGRAPH = "\n"  # the paragraph boundary symbol of the counts
_COUNT_SCALE = 8.0  # counts are stored as round(8 ln count) in one byte: 6% steps


def _ngram_key(ngram: str) -> int:
    return zlib.crc32(ngram.encode("utf-8"))


def ngram_statistics(texts: Iterable[str], min_count: int = 2) -> dict[str, np.ndarray]:
    """Character 1- to 4-gram counts of running text, for the page model.

    Paragraphs are separated by ``"\\n"`` in each text; the counts include that boundary, so
    they also say how paragraphs end and start. N-grams seen fewer than ``min_count`` times
    (all characters are kept) are dropped: most 4-grams are seen once, and an article's own
    rare n-grams would make a page built from it look easier than a new one.

    >>> stats = ngram_statistics(["县里建了污水处理厂\\n污水处理厂投入运行"])
    >>> sorted(stats)
    ['ngram_counts', 'ngram_followers', 'ngram_keys', 'ngram_total']
    """
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for text in texts:
        padded = _PARAGRAPH + text + _PARAGRAPH
        total += len(padded)
        for n in range(1, NGRAM_ORDER + 1):
            counts.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    # How many different characters follow each context, before rare n-grams are dropped: the
    # Witten-Bell weight of the shorter context.
    followers: collections.Counter[str] = collections.Counter(g[:-1] for g in counts if len(g) > 1)
    kept = [g for g, c in counts.items() if c >= min_count or len(g) == 1]
    keys = np.array([_ngram_key(g) for g in kept], dtype=np.uint32)
    # Two n-grams with one key (rare with 32 bits) share the sums of their counts.
    keys, inverse = np.unique(keys, return_inverse=True)
    values = np.bincount(inverse, weights=[counts[g] for g in kept])
    types = np.bincount(inverse, weights=[followers[g] for g in kept])
    return {
        "ngram_keys": keys,
        "ngram_counts": _to_byte(values),
        "ngram_followers": _to_byte(1 + types),
        "ngram_total": np.array([total], dtype=np.float64),
    }


def _to_byte(values: np.ndarray) -> np.ndarray:
    return np.round(_COUNT_SCALE * np.log(values)).clip(0, 255).astype(np.uint8)


def _from_byte(values: np.ndarray) -> np.ndarray:
    return np.exp(values.astype(np.float64) / _COUNT_SCALE)


class _NgramCounts:
    """Look up the counts of many n-grams at once in the sorted keys of the statistics."""

    def __init__(self, statistics: dict[str, np.ndarray]) -> None:
        self.keys = statistics["ngram_keys"]
        self.counts = _from_byte(statistics["ngram_counts"])
        self.followers = _from_byte(statistics["ngram_followers"]) - 1
        self.total = float(statistics["ngram_total"][0])

    def __call__(self, ngrams: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Counts of ``ngrams`` and of the different characters that follow each of them."""
        if not ngrams or not len(self.keys):
            return np.zeros(len(ngrams)), np.zeros(len(ngrams))
        hashes = np.fromiter(map(_ngram_key, ngrams), dtype=np.uint32, count=len(ngrams))
        positions = np.minimum(np.searchsorted(self.keys, hashes), len(self.keys) - 1)
        found = self.keys[positions] == hashes
        counts = np.where(found, self.counts[positions], 0.0)
        followers = np.where(found, self.followers[positions], 0.0)
        return counts, followers


class BreakStatistics(NamedTuple):
    """What the n-gram counts say about the break between two lines (see :func:`break_statistics`)."""

    ratio: float  # log-likelihood ratio of "joined" against "separate"
    end: float  # log probability that a paragraph ends after the first line
    pair: int  # bucketed PMI of the two characters at the break
    ends: int  # ... of the last character and a paragraph end
    starts: int  # ... of a paragraph start and the first character


def _probabilities(
    queries: list[tuple[str, str]], lookup: _NgramCounts
) -> tuple[np.ndarray, dict[str, float]]:
    """Witten-Bell interpolated probability of each ``(context, char)`` query: each longer
    context trusts its own counts as much as it has seen few different followers. Also
    returns the counts of the n-grams looked up, by n-gram."""
    index: dict[str, int] = {}  # every n-gram the queries need, once
    chars = [index.setdefault(char, len(index)) for _, char in queries]
    m = NGRAM_ORDER - 1
    contexts = np.full((len(queries), m), -1)  # the last n characters of the context ...
    followed = np.full((len(queries), m), -1)  # ... and the same followed by the character
    for q, (context, char) in enumerate(queries):
        for n in range(1, min(len(context), m) + 1):
            near = context[-n:]
            contexts[q, n - 1] = index.setdefault(near, len(index))
            followed[q, n - 1] = index.setdefault(near + char, len(index))
    counts, followers = lookup(list(index))
    p = (counts[chars] + 0.5) / lookup.total
    for n in range(m):
        # a context shorter than n (-1) counts as unseen; one seen only at the end of texts has
        # no followers: it keeps one
        seen = np.where(contexts[:, n] >= 0, counts[contexts[:, n]], 0.0)
        kinds = np.maximum(followers[contexts[:, n]], 1.0)
        interpolated = (np.minimum(counts[followed[:, n]], seen) + kinds * p) / (seen + kinds)
        p = np.where(seen > 0, interpolated, p)
    return p, dict(zip(index, counts.tolist()))


def _queries(left: str, right: str) -> list[tuple[str, str]]:
    """(context, character) pairs whose probabilities the continuation test needs: the end of
    ``left`` followed by a paragraph end, then each of the first characters of ``right`` after
    ``left`` (joined) and after a paragraph start (separate)."""
    m = NGRAM_ORDER - 1
    tail, head = left[-m:], right[:_LOOKAHEAD]
    queries = [(tail, _PARAGRAPH)]
    for i, char in enumerate(head):
        queries += [((tail + head[:i])[-m:], char), ((_PARAGRAPH + head[:i])[-m:], char)]
    return queries


def break_statistics(lines: list[str]) -> list[BreakStatistics]:
    """For each pair of consecutive lines: does the second continue the first?

    The log-likelihood ratio of "one paragraph across the break" against "a paragraph ends,
    another starts" under the character n-gram counts shipped with the page model (the first
    characters of the second line read after the end of the first, or after a paragraph end),
    with the pair statistics at the break (see :class:`BreakStatistics`). Reading the end of
    the first line backwards gave the same ratios on validation pages (both estimate the same
    joint probability), so only the forward reading is kept.

    >>> ratio = break_statistics(["发挥作用,嘉", "兴市拓宽了思路。"])[0].ratio
    >>> ratio > break_statistics(["河水清了。", "兴市拓宽了思路。"])[0].ratio
    True
    """
    lookup = _load_model().get("ngram_lookup")
    if lookup is None or len(lines) < 2:
        return [BreakStatistics(0.0, 0.0, 0, 0, 0)] * max(0, len(lines) - 1)
    pairs = list(itertools.pairwise(lines))
    queries = [_queries(left, right) for left, right in pairs]
    # Every distinct query once: the same line ends and starts recur on a page.
    distinct = list(dict.fromkeys(q for pair_queries in queries for q in pair_queries))
    probabilities, counts = _probabilities(distinct, lookup)
    log_p = dict(zip(distinct, np.log(probabilities).tolist()))
    total = lookup.total

    # The queries' n-grams include the pairs that the PMI features need: last character +
    # first, last + paragraph end, paragraph start + first.
    def pmi(a: str, b: str) -> int:
        pair = counts[a + b]
        if pair <= 0:
            return -9
        value = math.log(pair * total / (max(counts[a], 1.0) * max(counts[b], 1.0)))
        return min(12, max(-8, math.floor(value)))

    statistics = []
    for (left, right), pair_queries in zip(pairs, queries):
        end = log_p[pair_queries[0]]
        joined = sum(log_p[q] for q in pair_queries[1::2])
        separate = end + sum(log_p[q] for q in pair_queries[2::2])
        statistics.append(
            BreakStatistics(
                joined - separate,
                end,
                pmi(left[-1], right[0]),
                pmi(left[-1], _PARAGRAPH),
                pmi(_PARAGRAPH, right[0]),
            )
        )
    return statistics


def association(left: str, right: str) -> int:
    """Bucketed pointwise mutual information of two characters in running text.

    High when ``left + right`` is a common pair (``嘉|兴``): a column break inside a word. With
    ``"\\n"`` on one side it says how readily paragraphs end or start with the other character.

    >>> association("嘉", "兴") > association("。", "县")
    True
    """
    return break_statistics([left, right])[0].pair


# ---------------------------------------------------------------------------------------------
# Break reader: a small character CNN that reads the last characters of a line and the first of
# the next and says whether the second continues the first. The n-gram test sees three
# characters on each side; the reader sees 24 before the break (with the line start when the
# line is shorter) and 8 after, enough for ``为了方便老年居民|办理医保报销业务`` or a clause that
# has not found its verb. Its logit enters the CRF as a real-valued feature: on validation pages
# it raised join recall by 1-2 points at equal precision; bucketed like the other features, or
# reading only the breaks after a line that does not end a sentence (half the cost), it gained
# half a point (issue #3). Inference is plain numpy; training (:func:`train_break_reader`)
# uses torch.

_READ_LEFT, _READ_RIGHT = 24, 8
_PAD, _UNKNOWN, _LINE_START, _LINE_END, _BREAK = range(5)  # reserved character ids
_READ_EMBEDDING, _READ_CHANNELS, _READ_DILATIONS = 32, 48, (1, 2, 4)
_READ_SCALE = 4.0  # the CRF sees the reader's logit / 4, clipped to [-4, 4]


def _encode_breaks(pairs: list[tuple[str, str]], ids: dict[str, int]) -> np.ndarray:
    """Character ids of ``(left, right)`` line pairs: ``[start] left[-24:] [break] right[:8] [end]``,
    padded on the outer sides."""
    width = _READ_LEFT + _READ_RIGHT + 3
    out = np.zeros((len(pairs), width), dtype=np.int64)
    for row, (left, right) in enumerate(pairs):
        head = [ids.get(c, _UNKNOWN) for c in left[-_READ_LEFT:]]
        if len(left) <= _READ_LEFT:
            head.insert(0, _LINE_START)
        tail = [ids.get(c, _UNKNOWN) for c in right[:_READ_RIGHT]]
        if len(right) <= _READ_RIGHT:
            tail.append(_LINE_END)
        out[row, _READ_LEFT + 1 - len(head) : _READ_LEFT + 1] = head
        out[row, _READ_LEFT + 1] = _BREAK
        out[row, _READ_LEFT + 2 : _READ_LEFT + 2 + len(tail)] = tail
    return out


class _BreakReader:
    """Numpy inference of the reader trained by :func:`train_break_reader`."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.ids = {chr(c): i + 5 for i, c in enumerate(arrays["reader_chars"].tolist())}
        # Conv weights are stored as (3 taps, in, out); one matrix product computes all taps.
        self.convs = []
        for k, dilation in enumerate(_READ_DILATIONS):
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
        # A few hundred pairs at a time keep the activations in the CPU cache (1.7x faster on
        # a 200 kB page than all at once).
        chunks = [pairs[i : i + 512] for i in range(0, len(pairs), 512)]
        return np.concatenate(
            [self._logits(chunk) for chunk in chunks] or [np.zeros(0, np.float32)]
        )

    def _logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        ids = _encode_breaks(pairs, self.ids)
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
        at = _READ_LEFT + 1
        pooled = np.concatenate([x[:, at], x[:, :at].max(axis=1), x[:, at + 1 :].max(axis=1)], 1)
        hidden = np.maximum(pooled @ self.hidden[0] + self.hidden[1], 0.0)
        return (hidden @ self.output[0] + self.output[1])[:, 0]


def break_readings(lines: list[str]) -> np.ndarray:
    """The reader's logit for each pair of consecutive lines (0 without a reader in the model).

    >>> break_readings(["全县推行积分管理。"]).shape
    (0,)
    """
    reader = _load_model().get("reader")
    if reader is None or len(lines) < 2:
        return np.zeros(max(0, len(lines) - 1), dtype=np.float32)
    return reader(list(itertools.pairwise(lines)))


def train_break_reader(
    pages: list[tuple[list[str], list[str]]], seed: int = 0, epochs: int = 2
) -> dict[str, np.ndarray]:
    """Train the break reader on pages with known line roles; returns safetensors-ready arrays.

    Every break between two lines is an example: positive when the next line's role is
    ``"join"``. Characters seen fewer than 3 times read as unknown. Adam, batches
    of 512, binary cross-entropy; torch's generator is seeded, so a run is reproducible on one
    machine.

    >>> arrays = train_break_reader(pages)  # doctest: +SKIP
    """
    import torch
    from torch import nn

    torch.manual_seed(seed)
    pairs, labels = [], []
    chars: collections.Counter[str] = collections.Counter()
    for lines, roles in pages:
        chars.update(itertools.chain.from_iterable(lines))
        pairs += itertools.pairwise(lines)
        labels += [role == "join" for role in roles[1:]]
    kept = [c for c, n in chars.most_common() if n >= 3]
    ids = {c: i + 5 for i, c in enumerate(kept)}
    x = torch.from_numpy(_encode_breaks(pairs, ids))
    y = torch.tensor(labels, dtype=torch.float32)

    class Reader(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(len(kept) + 5, _READ_EMBEDDING, padding_idx=_PAD)
            channels = [_READ_EMBEDDING] + [_READ_CHANNELS] * len(_READ_DILATIONS)
            self.convs = nn.ModuleList(
                nn.Conv1d(a, b, 3, padding=d, dilation=d)
                for a, b, d in zip(channels, channels[1:], _READ_DILATIONS)
            )
            self.hidden = nn.Linear(3 * _READ_CHANNELS, 64)
            self.output = nn.Linear(64, 1)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            h = self.embedding(ids).transpose(1, 2)
            for k, conv in enumerate(self.convs):
                h = torch.relu(conv(h)) if k == 0 else h + torch.relu(conv(h))
            at = _READ_LEFT + 1
            pooled = torch.cat(
                [h[:, :, at], h[:, :, :at].amax(2), h[:, :, at + 1 :].amax(2)], dim=1
            )
            return self.output(torch.relu(self.hidden(pooled))).squeeze(1)

    model = Reader()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(order), 512):
            batch = order[start : start + 512]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        logger.info("break reader epoch %d: last batch loss %.4f", epoch + 1, loss.item())
    arrays = {
        "reader_chars": np.array([ord(c) for c in kept], dtype=np.int32),
        "reader_embedding": model.embedding.weight.detach().numpy(),
        "reader_hidden_weight": model.hidden.weight.detach().numpy().T,
        "reader_hidden_bias": model.hidden.bias.detach().numpy(),
        "reader_output_weight": model.output.weight.detach().numpy().T,
        "reader_output_bias": model.output.bias.detach().numpy(),
    }
    for k, conv in enumerate(model.convs):
        # torch's (out, in, taps) -> (taps, in, out)
        arrays[f"reader_conv{k}_weight"] = conv.weight.detach().numpy().transpose(2, 1, 0)
        arrays[f"reader_conv{k}_bias"] = conv.bias.detach().numpy()
    arrays = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    # The numpy reader must read as the trained one did: a wrong axis order in the export above
    # would still give numbers, just meaningless ones.
    with torch.no_grad():
        expected = model.eval()(x[:256]).numpy()
    exported = _BreakReader(arrays)(pairs[:256])
    if not np.allclose(exported, expected, atol=1e-3):
        raise RuntimeError("the exported break reader disagrees with the trained one")
    return arrays


def _break_features(left: str, right: str, statistics: BreakStatistics) -> list[str]:
    """The break between two lines: a word split by a column break (嘉|兴), a sentence that
    reads on across it, or a paragraph that ends."""
    return [
        f"bigram={left[-1]}{right[0]}",
        f"cls={_char_class(left[-1])}>{_char_class(right[0])}",
        f"pmi={statistics.pair}",
        # Few paragraphs end or start with 的.
        f"end_pmi={statistics.ends}",
        f"start_pmi={statistics.starts}",
        # The continuation tests, finely and coarsely bucketed.
        f"llr={max(-12, min(16, round(statistics.ratio)))}",
        f"llr3={max(-4, min(6, math.floor(statistics.ratio / 3)))}",
        f"end_logp={max(-12, round(statistics.end))}",
    ]


_CJK_RUN = re.compile("[\u4e00-\u9fff]{2,}")


def _content_bigrams(text: str) -> frozenset[str]:
    """Pairs of adjacent CJK characters: the content words a title shares with its body."""
    return frozenset(run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1))


def _overlap(shared: int, left: int, right: int) -> int:
    """Bucketed cosine overlap of two bigram sets of sizes ``left`` and ``right`` that share
    ``shared`` bigrams (0 = nothing shared, 10 = the same; -1 = one of them is empty)."""
    if not left or not right:
        return -1
    return min(10, int(10 * shared / math.sqrt(left * right)))


def _cohesion_features(grams: list[frozenset[str]]) -> list[list[str]]:
    """Bucketed lexical cohesion around every line, after TextTiling (Hearst 1997).

    A new article changes the vocabulary, a sub-heading inside an article does not, and a
    title echoes its own body: overlaps of the three lines before, the line, and the three after.
    """
    # windows[j]: the bigrams of lines j-3 .. j-1, so the three lines after line i are windows[i + 4]
    windows = [frozenset().union(*grams[max(0, j - 3) : j]) for j in range(len(grams) + 4)]
    features = []
    for i, line in enumerate(grams):
        before, after = windows[i], windows[i + 4]
        across = len(before & after)
        echo_prev, echo_next = before & line, len(line & after)
        # |before & (line | after)| and |line | after| from the intersections already counted,
        # without building that union for every line (cohesion took 92 ms on a 200 kB page, now 69).
        shared = across + len(echo_prev) - len(echo_prev & after)
        features.append(
            [
                f"c:across={_overlap(across, len(before), len(after))}",
                f"c:break={_overlap(shared, len(before), len(line) + len(after) - echo_next)}",
                f"c:echo_next={_overlap(echo_next, len(line), len(after))}",
                f"c:echo_prev={_overlap(len(echo_prev), len(line), len(before))}",
            ]
        )
    return features


def page_features(lines: list[str]) -> list[list[str]]:
    """String features of every line: its shape, its neighbours', the breaks and cohesion around it.

    >>> page_features(["县里新建了污水处理厂", "污水处理厂投入运行。"])[0][:2]
    ['bias', 'len=2']
    """
    own = [_line_features(text, "") for text in lines]
    cohesion = _cohesion_features([_content_bigrams(text) for text in lines])
    names = [_is_names(text) for text in lines]
    # Each break's features once: the line after it sees them as x:, the line before as y:.
    crossings = [
        _break_features(left, right, statistics)
        for (left, right), statistics in zip(itertools.pairwise(lines), break_statistics(lines))
    ]

    def prefixed(features: list[str], prefix: str) -> list[str]:
        return [prefix + feature for feature in features]

    features = []
    for i, text in enumerate(lines):
        feats = ["bias", *own[i]]
        if i > 0:
            prev = lines[i - 1]
            feats += prefixed(own[i - 1], "p:")
            feats += prefixed(crossings[i - 1], "x:")
            feats.append(f"x:len={min(len(prev), 120) // 8}>{min(len(text), 120) // 8}")
        else:
            feats.append("p:none")
        if i + 1 < len(lines):
            feats += prefixed(own[i + 1], "n:")
            feats += prefixed(crossings[i], "y:")
        else:
            feats.append("n:none")
        # Two lines away: a title is often two lines above a byline or a dateline (本报北京…电).
        if i + 2 < len(lines):
            feats += [f"n2:names={names[i + 2]}", f"n2:start2={lines[i + 2][:2]}"]
        if i > 1:
            feats += [f"p2:lastcls={_char_class(lines[i - 2][-1])}", f"p2:names={names[i - 2]}"]
        feats += cohesion[i]
        features.append(feats)
    return features


@functools.lru_cache(maxsize=1 << 16)  # most features recur on every page (len=5, lastcls=end)
def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % N_BUCKETS


def line_vectors(lines: list[str]) -> list[dict[int, float]]:
    """The hashed features of every line as ``{bucket: value}``, buckets below ``N_BUCKETS``:
    1.0 for each string feature of :func:`page_features`, and the break reader's scaled logit
    for the breaks before (``x:read``) and after (``y:read``) the line."""
    readings = np.clip(break_readings(lines) / _READ_SCALE, -4.0, 4.0).tolist()
    before, after = _bucket("x:read"), _bucket("y:read")
    vectors = []
    for i, feats in enumerate(page_features(lines)):
        vector = dict.fromkeys(map(_bucket, feats), 1.0)
        if i > 0:
            vector[before] = vector.get(before, 0.0) + readings[i - 1]
        if i < len(readings):
            vector[after] = vector.get(after, 0.0) + readings[i]
        vectors.append(vector)
    return vectors


def feature_matrix(lines: list[str]):
    """Hashed features of every line, as a CSR matrix ``(n_lines, N_BUCKETS)``."""
    from scipy.sparse import csr_matrix

    vectors = line_vectors(lines)
    # Built as CSR directly: through (row, column) pairs it took 66 ms on a 200 kB page, not 17.
    indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    np.cumsum([len(vector) for vector in vectors], out=indptr[1:])
    chain = itertools.chain.from_iterable
    indices = np.fromiter(chain(vectors), dtype=np.int32, count=indptr[-1])
    values = np.fromiter(chain(v.values() for v in vectors), dtype=np.float32, count=indptr[-1])
    return csr_matrix((values, indices, indptr), shape=(len(lines), N_BUCKETS))


_installed: dict[str, np.ndarray] = {}  # set by using_role_model(), in place of the shipped file


@contextlib.contextmanager
def using_role_model(arrays: dict[str, np.ndarray]) -> Iterator[None]:
    """Use these page-model arrays (e.g. from :func:`train_role_model`, or only the n-gram
    statistics and break reader while training one) instead of the shipped ones inside the
    ``with`` block.

    >>> with using_role_model(weights):  # doctest: +SKIP
    ...     items = split_page(page)
    """
    _installed.clear()
    _installed.update(arrays)
    _load_model.cache_clear()
    try:
        yield
    finally:
        _installed.clear()
        _load_model.cache_clear()


@functools.lru_cache(maxsize=1)
def _load_model() -> dict:
    from safetensors.numpy import load_file

    if _installed:
        arrays = dict(_installed)
    else:
        path = Path(str(resources.files("govnlp").joinpath(MODEL_FILE)))
        arrays = load_file(str(path))
    model: dict = {
        name: array.astype(np.float32)
        for name, array in arrays.items()
        if name in ("coef", "transitions", "join_bias")
    }
    if "ngram_keys" in arrays:
        model["ngram_lookup"] = _NgramCounts(arrays)
    if "reader_chars" in arrays:
        model["reader"] = _BreakReader(arrays)
    return model


def role_scores(lines: list[str]) -> np.ndarray:
    """Unnormalised scores ``(n_lines, len(ROLES))`` of each line's role from the page model."""
    return np.asarray(feature_matrix(lines) @ _load_model()["coef"].T)


def decode_roles(scores: np.ndarray, transitions: np.ndarray | None = None) -> list[str]:
    """The best role sequence that obeys the page grammar (Viterbi).

    Args:
        scores: Per-line role scores ``(n_lines, len(ROLES))``.
        transitions: Score of each pair of consecutive roles, ``(len(ROLES), len(ROLES))``;
            ``None`` = only the grammar's hard constraints.

    >>> lp = np.log(np.array([[0.6, 0.1, 0.1, 0.1, 0.05, 0.05], [0.05, 0.05, 0.05, 0.05, 0.3, 0.5]]))
    >>> decode_roles(lp)  # a join cannot follow a title
    ['title', 'body']
    """
    n, k = scores.shape
    if n == 0:
        return []
    start = np.array([0.0 if r in _FOLLOWS[None] else -np.inf for r in ROLES])
    allowed = np.array([[0.0 if b in _FOLLOWS[a] else -np.inf for b in ROLES] for a in ROLES])
    if transitions is not None:
        allowed = allowed + transitions
    score = start + scores[0]
    back = np.zeros((n, k), dtype=np.int64)
    for i in range(1, n):
        total = score[:, None] + allowed
        back[i] = total.argmax(axis=0)
        score = total.max(axis=0) + scores[i]
    if n > 1:  # a page does not end between a caption and its credit
        score[ROLES.index("caption")] = -np.inf
    best = [int(score.argmax())]
    for i in range(n - 1, 0, -1):
        best.append(int(back[i, best[-1]]))
    return [ROLES[b] for b in reversed(best)]


def predict_roles(lines: list[str]) -> list[str]:
    """Roles of the non-blank lines of a page (see :data:`ROLES`).

    >>> predict_roles(["“智慧河长” 守护碧水", "张三 李四", "全县河道实现巡查全覆盖,嘉", "兴市拓宽了治理思路。"])
    ['title', 'byline', 'body', 'join']
    """
    model = _load_model()
    scores = role_scores(lines)
    if "join_bias" in model:
        scores[:, ROLES.index("join")] += model["join_bias"][0]
    return decode_roles(scores, model["transitions"])


def train_role_model(
    folds: list[tuple[list[tuple[list[str], list[str]]], dict[str, np.ndarray]]],
    shipped: dict[str, np.ndarray],
    c2: float = 3.0,
    max_iterations: int = 200,
    join_bias: float = -1.5,
) -> dict:
    """Fit the line-role CRF on pages with known roles; returns safetensors-ready arrays.

    Args:
        folds: ``(pages, fold_arrays)`` pairs, each page a ``(lines, roles)`` pair. The
            features of a fold's pages are computed with its own arrays: n-gram statistics
            (:func:`ngram_statistics`) and a break reader (:func:`train_break_reader`), which
            should come from other articles than the pages were built from: counted on the
            same articles, the n-grams across every break are known, and the CRF learns to
            trust them more than a new page allows (cross-fitting, issue #3).
        shipped: The n-gram statistics and break reader to ship with the weights (from all
            articles).
        c2: L2 penalty.
        max_iterations: L-BFGS iterations.
        join_bias: Added to every line's join score before decoding, saved with the weights.
            Below 0 it trades missed joins for fewer false ones: a false join glues a heading
            or a new paragraph onto text it does not belong to, and issue #3 asks more of join
            precision (0.98) than of recall (0.95). On validation pages -1.5 came closest to
            both (largest shortfall 0.003: precision 0.977, recall 0.949; -1.75: 0.980 / 0.946;
            -2.0: 0.982 / 0.941), and on average over three validation runs with different
            readers (largest shortfall 0.0026 against 0.0030 for -1.75).

    Trained with L-BFGS by CRFsuite (``python-crfsuite``, the ``train`` extra) on the hashed
    features that prediction uses.
    """
    try:
        import pycrfsuite
    except ImportError as error:
        raise ImportError(
            'training the page model needs python-crfsuite: pip install "govnlp[train]"'
        ) from error
    import tempfile

    trainer = pycrfsuite.Trainer(verbose=False)
    for pages, fold_arrays in folds:
        with using_role_model(fold_arrays):
            for lines, roles in pages:
                vectors = [{str(b): v for b, v in line.items()} for line in line_vectors(lines)]
                trainer.append(vectors, list(roles))
    # CRFsuite keeps an (attribute, role) weight only if the attribute's values over the lines of
    # that role sum to at least ``feature.minfreq`` (default 0). The break readings are mostly
    # negative, so by default only ``join`` got a weight for ``x:read`` and no role one for
    # ``y:read``; -inf keeps every pair seen in training.
    trainer.set_params(
        {"c1": 0.0, "c2": c2, "max_iterations": max_iterations, "feature.minfreq": -math.inf}
    )
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "roles.crfsuite")
        trainer.train(path)
        crf = pycrfsuite.Tagger()
        crf.open(path)
        info = crf.info()
        crf.close()
    coef = np.zeros((len(ROLES), N_BUCKETS), dtype=np.float32)
    for (bucket, role), weight in info.state_features.items():
        coef[ROLES.index(role), int(bucket)] = weight
    # Role pairs the generated pages never show (a fragment right after a photo credit) score 0,
    # not -inf: real pages have them, and the grammar alone decides what is impossible.
    transitions = np.zeros((len(ROLES), len(ROLES)), dtype=np.float32)
    for (previous, role), weight in info.transitions.items():
        transitions[ROLES.index(previous), ROLES.index(role)] = weight
    return {
        **shipped,
        "coef": coef.astype(np.float16),
        "transitions": transitions,
        "join_bias": np.array([join_bias], dtype=np.float32),
    }


def split_page(text: str) -> list[PageItem]:
    """Split a raw page dump into articles, photo items and fragments.

    Args:
        text: The page as copied: one paragraph per line, blank lines optional.

    Returns:
        The items in reading order, with column breaks inside paragraphs repaired.

    >>> page = "“智慧河长” 守护碧水\\n张三 李四\\n\\n全县河道实现巡查全覆盖,嘉\\n兴市拓宽了治理思路。\\n"
    >>> item = split_page(page)[0]
    >>> item.kind, item.title, item.byline, item.paragraphs
    ('article', '“智慧河长” 守护碧水', '张三 李四', ['全县河道实现巡查全覆盖,嘉兴市拓宽了治理思路。'])
    """
    paragraphs = split_paragraphs(text)
    roles = predict_roles([p.text for p in paragraphs])
    items: list[PageItem] = []
    current: PageItem | None = None
    last_body: Paragraph | None = None
    for para, role in zip(paragraphs, roles):
        if role == "title":
            current = PageItem("article", title=para.text, start=para.start, end=para.end)
            items.append(current)
            last_body = None
        elif role == "caption":
            current = PageItem("photo", paragraphs=[para.text], start=para.start, end=para.end)
            items.append(current)
            last_body = None
        elif role in ("byline", "credit") and current is not None:
            current.byline = para.text
            current.end = para.end
        else:
            if current is None or (current.kind == "photo" and current.byline):
                current = PageItem("fragment", start=para.start, end=para.end)
                items.append(current)
            if role == "join" and last_body is not None:
                # Column break: the paragraph continues. Joined without a space, as the break
                # can fall inside a word or a number.
                current.paragraphs[-1] += para.text
            else:
                current.paragraphs.append(para.text)
            current.end = para.end
            last_body = para
    return items
