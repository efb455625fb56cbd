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

import contextlib
import functools
import itertools
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["PageItem", "Paragraph", "split_page", "split_paragraphs"]

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


N_BIGRAM_BUCKETS = 1 << 20


def _bigram_bucket(pair: str) -> int:
    return zlib.crc32(pair.encode("utf-8")) % N_BIGRAM_BUCKETS


def char_statistics(texts) -> dict[str, np.ndarray]:
    """Character and hashed character-bigram counts of a corpus (for :func:`association`).

    Paragraphs separated by ``\n`` also count which characters end and start paragraphs.
    """
    unigrams = np.zeros(0x10000, dtype=np.float64)
    bigrams = np.zeros(N_BIGRAM_BUCKETS, dtype=np.float64)
    for text in texts:
        codes = [min(ord(c), 0xFFFF) for c in text]
        np.add.at(unigrams, codes, 1)
        for a, b in itertools.pairwise(text):
            bigrams[_bigram_bucket(a + b)] += 1
    # log counts in float16 keep the file small; the features only need them coarsely
    return {
        "log_unigram": np.log1p(unigrams).astype(np.float16),
        "log_bigram": np.log1p(bigrams).astype(np.float16),
    }


def association(left: str, right: str) -> int:
    """Bucketed pointwise mutual information of two characters.

    High when ``left + right`` is a common pair in running text (``嘉|兴``): a column break
    inside a word. With ``"\n"`` on one side it says how readily paragraphs end or start with
    the other character. Computed from corpus statistics shipped with the page model.

    >>> association("嘉", "兴") > association("。", "县")
    True
    """
    model = _load_model()
    if "log_bigram" not in model:
        return 0
    unigram, bigram = model["log_unigram"], model["log_bigram"]
    pair = float(bigram[_bigram_bucket(left + right)])
    if pair <= 0:
        return -9
    # Python floats: numpy scalar arithmetic made this the slowest step of a 200 kB page.
    pmi = (
        pair
        + float(model["log_total"][0])
        - float(unigram[min(ord(left), 0xFFFF)])
        - float(unigram[min(ord(right), 0xFFFF)])
    )
    return min(12, max(-8, math.floor(pmi)))


def _break_features(left: str, right: str, prefix: str) -> list[str]:
    """The characters on both sides of a line break: a word split by a column break (嘉|兴)."""
    return [
        f"{prefix}bigram={left[-1]}{right[0]}",
        f"{prefix}cls={_char_class(left[-1])}>{_char_class(right[0])}",
        f"{prefix}pmi={association(left[-1], right[0])}",
        # How readily running text ends a paragraph with this character and starts one with
        # that one (the statistics count the "\n" between paragraphs): few paragraphs end or
        # start with 的.
        f"{prefix}end_pmi={association(left[-1], chr(10))}",
        f"{prefix}start_pmi={association(chr(10), right[0])}",
    ]


def _content_bigrams(text: str) -> frozenset[str]:
    """Pairs of adjacent CJK characters: the content words a title shares with its body."""
    return frozenset(
        a + b
        for a, b in itertools.pairwise(text)
        if "\u4e00" <= a <= "\u9fff" and "\u4e00" <= b <= "\u9fff"
    )


def _overlap(left: frozenset[str], right: frozenset[str]) -> int:
    """Bucketed cosine overlap of two bigram sets (0 = nothing shared, 10 = the same)."""
    if not left or not right:
        return -1
    return min(10, int(10 * len(left & right) / math.sqrt(len(left) * len(right))))


def _cohesion_features(grams: list[frozenset[str]], i: int) -> list[str]:
    """Bucketed lexical cohesion around line ``i``, after TextTiling (Hearst 1997).

    A new article changes the vocabulary, a sub-heading inside an article does not, and a
    title echoes its own body: overlaps of the three lines before, the line, and the three after.
    """
    before = frozenset().union(*grams[max(0, i - 3) : i])
    after = frozenset().union(*grams[i + 1 : i + 4])
    return [
        f"c:across={_overlap(before, after)}",
        f"c:break={_overlap(before, grams[i] | after)}",
        f"c:echo_next={_overlap(grams[i], after)}",
        f"c:echo_prev={_overlap(grams[i], before)}",
    ]


def page_features(lines: list[str]) -> list[list[str]]:
    """String features of every line: its shape, its neighbours', the breaks and cohesion around it.

    >>> page_features(["县里新建了污水处理厂", "污水处理厂投入运行。"])[0][:2]
    ['bias', 'len=2']
    """
    own = [_line_features(text, "") for text in lines]
    grams = [_content_bigrams(text) for text in lines]
    names = [_is_names(text) for text in lines]

    def prefixed(i: int, prefix: str) -> list[str]:
        return [prefix + feature for feature in own[i]]

    features = []
    for i, text in enumerate(lines):
        feats = ["bias", *own[i]]
        if i > 0:
            prev = lines[i - 1]
            feats += prefixed(i - 1, "p:")
            feats += _break_features(prev, text, "x:")
            feats.append(f"x:len={min(len(prev), 120) // 8}>{min(len(text), 120) // 8}")
        else:
            feats.append("p:none")
        if i + 1 < len(lines):
            feats += prefixed(i + 1, "n:")
            feats += _break_features(text, lines[i + 1], "y:")
        else:
            feats.append("n:none")
        # Two lines away: a title is often two lines above a byline or a dateline (本报北京…电).
        if i + 2 < len(lines):
            feats += [f"n2:names={names[i + 2]}", f"n2:start2={lines[i + 2][:2]}"]
        if i > 1:
            feats += [f"p2:lastcls={_char_class(lines[i - 2][-1])}", f"p2:names={names[i - 2]}"]
        feats += _cohesion_features(grams, i)
        features.append(feats)
    return features


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % N_BUCKETS


def line_buckets(lines: list[str]) -> list[list[int]]:
    """The hashed features of every line: sorted, distinct bucket ids below ``N_BUCKETS``."""
    return [sorted({_bucket(f) for f in feats}) for feats in page_features(lines)]


def feature_matrix(lines: list[str]):
    """Hashed features of every line, as a CSR matrix ``(n_lines, N_BUCKETS)``."""
    from scipy.sparse import csr_matrix

    rows, cols = [], []
    for i, buckets in enumerate(line_buckets(lines)):
        rows.extend([i] * len(buckets))
        cols.extend(buckets)
    data = np.ones(len(rows), dtype=np.float32)
    return csr_matrix((data, (rows, cols)), shape=(len(lines), N_BUCKETS))


_installed: dict[str, np.ndarray] = {}  # set by using_role_model(), in place of the shipped file


@contextlib.contextmanager
def using_role_model(arrays: dict[str, np.ndarray]) -> Iterator[None]:
    """Use these page-model arrays (e.g. from :func:`train_role_model`) instead of the shipped
    ones inside the ``with`` block.

    >>> with using_role_model(weights):  # doctest: +SKIP
    ...     items = split_page(page)
    """
    _installed.clear()
    _installed.update({name: np.asarray(a, dtype=np.float32) for name, a in arrays.items()})
    _load_model.cache_clear()
    try:
        yield
    finally:
        _installed.clear()
        _load_model.cache_clear()


@functools.lru_cache(maxsize=1)
def _load_model() -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    if _installed:
        return _installed

    path = Path(str(resources.files("govnlp").joinpath(MODEL_FILE)))
    return {name: array.astype(np.float32) for name, array in load_file(str(path)).items()}


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
    return decode_roles(role_scores(lines), _load_model()["transitions"])


def train_role_model(
    pages: list[tuple[list[str], list[str]]],
    statistics: dict[str, np.ndarray],
    c2: float = 3.0,
    max_iterations: int = 200,
) -> dict:
    """Fit the line-role CRF on ``(lines, roles)`` pages; returns safetensors-ready arrays.

    Trained with L-BFGS and an L2 penalty ``c2`` by CRFsuite (``python-crfsuite``, the
    ``train`` extra) on the hashed features that prediction uses. ``statistics`` (from
    :func:`char_statistics` on running text) are used while computing the features, which need
    them, and returned with the weights.
    """
    try:
        import pycrfsuite
    except ImportError as error:
        raise ImportError(
            'training the page model needs python-crfsuite: pip install "govnlp[train]"'
        ) from error
    import tempfile

    total = float(np.log(np.expm1(statistics["log_unigram"].astype(np.float64)).sum()))
    statistics = {**statistics, "log_total": np.array([total], dtype=np.float32)}
    trainer = pycrfsuite.Trainer(verbose=False)
    with using_role_model(statistics):
        for lines, roles in pages:
            buckets = [[str(b) for b in line] for line in line_buckets(lines)]
            trainer.append(buckets, list(roles))
    trainer.set_params({"c1": 0.0, "c2": c2, "max_iterations": max_iterations})
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
    return {**statistics, "coef": coef.astype(np.float16), "transitions": transitions}


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
