"""Chinese sentence splitting.

:func:`split_sentences` never loses or invents a character: ``"".join(split_sentences(t)) == t``
for every string ``t``. Whitespace (spaces, newlines) stays attached to the sentence before it;
use :func:`sentences` for stripped, non-empty sentences.
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_MAX_CHARS",
    "clauses",
    "paragraph_sentences",
    "sentence_spans",
    "sentences",
    "split_sentences",
]

DEFAULT_MAX_CHARS = 256

_HARD_ENDS = set("。！？!?")
_ELLIPSIS = set("…")
_CLOSERS = set("”’」』）)】〕》〉\"'")
_SOFT_BREAKS = set("，、：；,;:")
# A 《…》 (or 〈…〉) title longer than this is treated as an unbalanced bracket, not a title.
_MAX_TITLE = 60
_TITLE_RE = re.compile(rf"《[^《》\n]{{0,{_MAX_TITLE}}}》|〈[^〈〉\n]{{0,{_MAX_TITLE}}}〉")


def _protected(text: str) -> bytearray:
    """Mark characters inside 《》/〈〉 titles, where end marks never split."""
    mask = bytearray(len(text))
    for match in _TITLE_RE.finditer(text):
        mask[match.start() : match.end() - 1] = b"\x01" * (match.end() - 1 - match.start())
    return mask


def _ends_sentence(text: str, i: int, semicolon: bool) -> bool:
    char = text[i]
    if char in _HARD_ENDS or char in _ELLIPSIS:
        return True
    if semicolon and char in "；;":
        return True
    if char == "." and i > 0 and not text[i - 1].isascii():
        # "…完成了." ends a sentence; "3.5", "U.S." and "www.gov.cn" do not.
        return i + 1 == len(text) or not text[i + 1].isascii() or text[i + 1].isspace()
    return False


def _raw_spans(text: str, semicolon: bool) -> list[tuple[int, int]]:
    n = len(text)
    protected = _protected(text)
    spans: list[tuple[int, int]] = []
    start = 0
    i = 0
    while i < n:
        char = text[i]
        if char == "\n":
            end = i + 1
        elif not protected[i] and _ends_sentence(text, i, semicolon):
            end = i + 1
            # Runs of end marks (。。 ？！ ……) and the quotes/brackets that close them stay together:
            # 他说：“好。” is one sentence.
            while end < n and (
                text[end] in _HARD_ENDS
                or text[end] in _ELLIPSIS
                or text[end] in _CLOSERS
                or (semicolon and text[end] in "；;")
            ):
                end += 1
        else:
            i += 1
            continue
        # Whitespace after a sentence end belongs to that sentence.
        while end < n and text[end].isspace():
            end += 1
        if text[start:end].strip():
            spans.append((start, end))
            start = end
        elif spans:
            # Leading whitespace-only piece: glue it to the sentence before.
            spans[-1] = (spans[-1][0], end)
            start = end
        i = end
    if start < n:
        if spans and not text[start:].strip():
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((start, n))
    # A leading whitespace-only piece (e.g. "\n\n正文。") joins the first real sentence.
    if len(spans) > 1 and not text[spans[0][0] : spans[0][1]].strip():
        spans[1] = (spans[0][0], spans[1][1])
        spans.pop(0)
    return spans


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long span into pieces of at most ``max_chars``.

    Prefers the last soft break (comma, enumeration comma, colon, semicolon, space) in the second
    half of the window, then the last point that does not split a run of Latin letters or digits.
    """
    pieces = []
    while end - start > max_chars:
        window_end = start + max_chars
        cut = None
        for j in range(window_end - 1, start + max_chars // 2 - 1, -1):
            if text[j] in _SOFT_BREAKS or text[j].isspace():
                cut = j + 1
                break
        if cut is None:
            for j in range(window_end, start + max_chars // 2, -1):
                if not (text[j - 1].isascii() and text[j - 1].isalnum() and text[j].isalnum()):
                    cut = j
                    break
        if cut is None:
            cut = window_end
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def sentence_spans(
    text: str, *, semicolon: bool = False, max_chars: int = DEFAULT_MAX_CHARS
) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``; they tile the input.

    Args:
        text: Any string.
        semicolon: Also end sentences at ``；``/``;``.
        max_chars: No span is longer than this; longer runs are cut at a comma or space where
            possible, so downstream models never see unbounded input.

    >>> sentence_spans("你好。再见！")
    [(0, 3), (3, 6)]
    """
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2, got {max_chars}")
    spans: list[tuple[int, int]] = []
    for start, end in _raw_spans(text, semicolon):
        if end - start > max_chars:
            spans.extend(_cut_long(text, start, end, max_chars))
        else:
            spans.append((start, end))
    return spans


def split_sentences(
    text: str, *, semicolon: bool = False, max_chars: int = DEFAULT_MAX_CHARS
) -> list[str]:
    """Split Chinese (or mixed) text into sentences, losing no character.

    Sentences end at ``。！？!?``, at ``……``/``…``, at a newline, optionally at ``；;``, and at an
    ASCII ``.`` that follows a Chinese character. Closing quotes and brackets after an end mark stay
    with their sentence; end marks inside ``《》`` titles, decimal points (``3.5亿``) and ratios
    (``1:1``) never split. ``"".join(split_sentences(t)) == t`` for every ``t``.

    Args:
        text: Any string.
        semicolon: Also end sentences at ``；``/``;``.
        max_chars: Hard cap on the length of one piece.

    >>> split_sentences("他说：“好。”我们看了《摔跤吧！爸爸》。增长3.5%!")
    ['他说：“好。”', '我们看了《摔跤吧！爸爸》。', '增长3.5%!']
    """
    return [text[s:e] for s, e in sentence_spans(text, semicolon=semicolon, max_chars=max_chars)]


def sentences(
    text: str, *, semicolon: bool = False, max_chars: int = DEFAULT_MAX_CHARS
) -> list[str]:
    """Stripped, non-empty sentences of ``text`` (what models and summaries use).

    Equal to ``[s.strip() for s in split_sentences(text) if s.strip()]``.

    >>> sentences("  第一句。\\n\\n第二句  ")
    ['第一句。', '第二句']
    """
    pieces = split_sentences(text, semicolon=semicolon, max_chars=max_chars)
    return [piece.strip() for piece in pieces if piece.strip()]


_CLAUSE_ENDS = set("，；：,;:")
_OPENERS = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】"}


def clauses(sentence: str, *, min_chars: int = 6) -> list[str]:
    """Split one sentence into clauses at ``，；：`` that can stand alone; loses no character.

    A clause ends after a comma, semicolon or colon outside quotes, brackets and 《》 titles; a
    piece with fewer than ``min_chars`` non-punctuation characters (``其中，``) joins the clause
    after it, and a short tail joins the clause before. ``"".join(clauses(s)) == s``.

    >>> clauses("今年以来，全县新建学校12所，改造校舍3万平方米。")
    ['今年以来，全县新建学校12所，', '改造校舍3万平方米。']
    >>> clauses("他说：“我们要办好教育，办好医疗。”")
    ['他说：“我们要办好教育，办好医疗。”']
    """
    protected = _protected(sentence)
    pieces: list[str] = []
    closers: list[str] = []
    start = 0
    for i, char in enumerate(sentence):
        if char in _OPENERS:
            closers.append(_OPENERS[char])
        elif closers and char == closers[-1]:
            closers.pop()
        elif char in _CLAUSE_ENDS and not closers and not protected[i]:
            pieces.append(sentence[start : i + 1])
            start = i + 1
    if start < len(sentence):
        pieces.append(sentence[start:])
    merged: list[str] = []
    pending = ""
    for piece in pieces:
        pending += piece
        if _content_length(pending) >= min_chars:
            merged.append(pending)
            pending = ""
    if pending:
        if merged:
            merged[-1] += pending
        else:
            merged.append(pending)
    return merged


def _content_length(text: str) -> int:
    return sum(char.isalnum() for char in text)


def paragraph_sentences(text: str) -> list[list[str]]:
    """The stripped, non-empty sentences of each non-empty paragraph (line) of ``text``.

    >>> paragraph_sentences("第一段。还是第一段。\\n\\n第二段。")
    [['第一段。', '还是第一段。'], ['第二段。']]
    """
    paragraphs = (sentences(line) for line in text.split("\n"))
    return [paragraph for paragraph in paragraphs if paragraph]
