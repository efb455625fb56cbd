"""Generate realistic newspaper page dumps with their truth, for evaluating ``govnlp.pages``.

The pages are built from real articles (titles and bodies, e.g. ``../shared/data/corpus/``) with
invented bylines and photo credits, photo items, fragments at page edges and random column
breaks. Generated pages are never written into the project: they carry copyrighted text.

Step by step, per page:
1. optionally open with a fragment: a body continued from another page, starting mid-sentence;
2. add 2-5 articles (title, byline in 60% of them, 1-8 body paragraphs) and photo items
   (a caption sentence plus ``王五 摄`` or bare names) between them; some two-character names
   are padded to three characters' width (``申　琳``), some credits carry an agency or a picture
   desk (``新华社记者 王五摄``, ``王五摄（人民视觉）``);
3. optionally let the last article stop mid-sentence (continued on another page), or close the
   page with a photo item;
4. split body paragraphs at column breaks placed uniformly at random, even inside words;
5. lay the paragraphs out one per line, with blank, space-only or full-width-space lines
   between them on some pages, and ASCII ``,`` ``(`` ``)`` for full-width ones on others.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CORPUS = (
    Path(__file__).resolve().parents[1].parent / "shared/data/corpus/peoples_daily.jsonl"
)

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
SURNAMES += ["欧阳", "司马", "上官"]
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞辉建国志文斌宇浩凯晨晓宁欣怡婷雪梅琳思远航博翔海波鑫鹤"
)
ROLES = ["本报记者", "记者", "通讯员"]
PADDING = ["\u3000", " ", "  "]
CREDIT_ROLES = ["新华社记者", "本报记者"]
DESKS = ["（人民视觉）", "（影像中国）", "（新华社发）"]
_SENTENCE_END = re.compile(r"(?<=[。！？])")


@dataclass
class TruthItem:
    kind: str
    title: str = ""
    byline: str = ""
    paragraphs: list[str] = field(default_factory=list)
    start: int = 0


@dataclass
class GeneratedPage:
    text: str
    items: list[TruthItem]
    # For every pair of consecutive non-blank lines: True when the second continues the first
    # across a column break.
    joins: list[bool]
    # Role of every non-blank line: title, byline, caption, credit, body (starts a paragraph) or
    # join (continues the line before it across a column break).
    roles: list[str] = field(default_factory=list)


def load_articles(path: str | Path, min_paragraphs: int = 2) -> list[dict]:
    """Articles with a title and at least ``min_paragraphs`` body paragraphs."""
    articles = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            paragraphs = [p.strip() for p in row.get("text", "").split("\n") if p.strip()]
            title = " ".join(row.get("title", "").split())
            if title and len(paragraphs) >= min_paragraphs:
                articles.append({"title": title, "paragraphs": paragraphs})
    return articles


def split_articles(articles: list[dict]) -> tuple[list[dict], list[dict]]:
    """Even-numbered articles train the page model, odd-numbered ones evaluate it."""
    return articles[0::2], articles[1::2]


def _name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    # Newspapers pad a two-character name to the width of a three-character one (申　琳). Decided
    # by a hash of the name, not by ``rng``, so the rest of every page stays as before.
    if len(surname) == len(given) == 1 and zlib.crc32(given.encode()) % 3 == 0:
        return surname + PADDING[zlib.crc32(surname.encode()) % len(PADDING)] + given
    return surname + given


def _byline(rng: random.Random) -> str:
    names = [_name(rng) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
    line = " ".join(names)
    if rng.random() < 0.2:
        line = rng.choice(ROLES) + " " + line
    return line


def _credit(rng: random.Random) -> str:
    names = " ".join(_name(rng) for _ in range(rng.choice([1, 1, 2])))
    credit = names + rng.choice([" 摄", "摄", " 摄", ""])
    # Agency prefixes and picture-desk suffixes as the corpus prints them (新华社记者 王五摄,
    # 王五摄（人民视觉）); decided by a hash of the names, not by ``rng``, as in _name.
    draw = zlib.crc32(names.encode())
    if draw % 5 == 0:
        credit = CREDIT_ROLES[draw // 5 % len(CREDIT_ROLES)] + PADDING[1] + credit
    if credit.endswith("摄") and draw % 7 < 2:
        credit += DESKS[draw // 7 % len(DESKS)]
    return credit


def _caption(rng: random.Random, articles: list[dict]) -> str:
    for _ in range(50):
        paragraph = rng.choice(rng.choice(articles)["paragraphs"])
        sentences = [s for s in _SENTENCE_END.split(paragraph) if 15 <= len(s) <= 90]
        if sentences and sentences[0].endswith("。"):
            return rng.choice(sentences) if rng.random() < 0.5 else sentences[0]
    return "图为当地群众在新建的文化广场上参加活动。"


def _mid_cut(rng: random.Random, paragraph: str) -> int:
    """A cut position inside a sentence (not right after an end mark)."""
    for _ in range(20):
        pos = rng.randint(1, max(1, len(paragraph) - 1))
        if paragraph[pos - 1] not in "。！？…”":
            return pos
    return max(1, len(paragraph) // 2)


def generate_page(rng: random.Random, articles: list[dict]) -> GeneratedPage:
    """One page dump and its truth."""
    items: list[TruthItem] = []
    if rng.random() < 0.3:
        body = rng.choice(articles)["paragraphs"]
        first = rng.randrange(len(body))
        chosen = body[first : first + rng.randint(1, 3)]
        chosen = [chosen[0][_mid_cut(rng, chosen[0]) :].lstrip(), *chosen[1:]]
        items.append(TruthItem("fragment", paragraphs=[p for p in chosen if p]))
    for position in range(rng.randint(2, 5)):
        if position and rng.random() < 0.25:
            items.append(
                TruthItem("photo", byline=_credit(rng), paragraphs=[_caption(rng, articles)])
            )
        article = rng.choice(articles)
        body = article["paragraphs"][: rng.randint(1, 8)]
        items.append(
            TruthItem(
                "article",
                title=article["title"],
                byline=_byline(rng) if rng.random() < 0.6 else "",
                paragraphs=list(body),
            )
        )
    if items[-1].kind == "article" and rng.random() < 0.4:
        last = items[-1].paragraphs[-1]
        cut = _mid_cut(rng, last)
        items[-1].paragraphs[-1] = last[:cut].rstrip() or last
    elif rng.random() < 0.2:  # a photo can close the page too
        items.append(TruthItem("photo", byline=_credit(rng), paragraphs=[_caption(rng, articles)]))

    ascii_punct = rng.random() < 0.3
    separators = rng.choice([["\n"], ["\n\n"], ["\n\n", "\n \n", "\n\u3000\n"]])
    text_parts: list[str] = []
    joins: list[bool] = []
    roles: list[str] = []
    offset = 0

    def emit(line: str, join: bool, role: str) -> None:
        nonlocal offset
        roles.append(role)
        if text_parts:
            sep = rng.choice(separators)
            text_parts.append(sep)
            offset += len(sep)
            joins.append(join)
        text_parts.append(line)
        offset += len(line)

    for item in items:
        if ascii_punct:
            table = str.maketrans({"，": ",", "（": "(", "）": ")"})
            item.paragraphs = [p.translate(table) for p in item.paragraphs]
        first_line = True
        for head, role in (
            (item.title, "title"),
            (item.byline if item.kind == "article" else "", "byline"),
        ):
            if head:
                emit(head, False, role)
                if first_line:
                    item.start = offset - len(head)
                    first_line = False
        for index, paragraph in enumerate(item.paragraphs):
            pieces = [paragraph]
            if item.kind != "photo" and len(paragraph) >= 10 and rng.random() < 0.35:
                cut = rng.randint(1, len(paragraph) - 1)
                pieces = [paragraph[:cut], paragraph[cut:]]
                if len(pieces[1]) > 150 and rng.random() < 0.2:
                    cut2 = rng.randint(1, len(pieces[1]) - 1)
                    pieces = [pieces[0], pieces[1][:cut2], pieces[1][cut2:]]
            # Whitespace at a break vanishes in the dump, as it does in a PDF copy.
            pieces = [p.strip() for p in pieces if p.strip()]
            item_paragraph = "".join(pieces)
            for k, piece in enumerate(pieces):
                role = "join" if k > 0 else ("caption" if item.kind == "photo" else "body")
                emit(piece, join=k > 0, role=role)
                if first_line:
                    item.start = offset - len(piece)
                    first_line = False
            item.paragraphs[index] = item_paragraph
        if item.kind == "photo":
            emit(item.byline, False, "credit")
    return GeneratedPage("".join(text_parts) + "\n", items, joins, roles)


def generate_pages(articles: list[dict], n: int, seed: int = 0) -> list[GeneratedPage]:
    """``n`` pages from ``articles``, reproducible for a given seed."""
    rng = random.Random(seed)
    return [generate_page(rng, articles) for _ in range(n)]
