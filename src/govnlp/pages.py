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

import re
from dataclasses import asdict, dataclass, field

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
_NAME = rf"(?:欧阳|司马|上官|诸葛|东方|皇甫|令狐|司徒|[{_SURNAMES}])[\u4e00-\u9fff·]{{1,3}}"
_ROLE = r"(?:本报记者|本报通讯员|记者|通讯员|本报特约记者|特约记者)"
_BYLINE_RE = re.compile(rf"^(?:{_ROLE}\s*)?{_NAME}(?:[\s、]+(?:{_ROLE}\s*)?{_NAME}){{0,2}}$")
_CREDIT_RE = re.compile(
    rf"^(?:{_ROLE}\s*)?{_NAME}(?:[\s、]+(?:{_ROLE}\s*)?{_NAME}){{0,2}}\s*摄(?:影)?$"
)
_MAX_TITLE = 40


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


def _title_like(text: str) -> bool:
    """Short, and not ending like a sentence or a broken-off clause."""
    if len(text) > _MAX_TITLE or (_is_complete(text) and text[-1] not in "”」）)》—！？!?"):
        return False
    if text[-1] in "，,、“‘「《（(":
        return False
    # A title has few clauses; a piece of body text cut by a column break usually has more.
    return text.count("，") + text.count(",") + text.count("。") <= 2


def _has_clause(text: str) -> bool:
    return any(mark in text for mark in "，,")


def _labels(paragraphs: list[Paragraph]) -> list[str]:
    """Role of each paragraph: title, byline, credit, caption or body."""
    n = len(paragraphs)
    roles = ["body"] * n
    for i, para in enumerate(paragraphs):
        text = para.text
        prev_role = roles[i - 1] if i else None
        prev_text = paragraphs[i - 1].text if i else ""
        next_text = paragraphs[i + 1].text if i + 1 < n else ""
        if _is_credit(text) and prev_role not in (None, "title"):
            roles[i] = "credit"
            roles[i - 1] = "caption"
        elif _is_names(text) and prev_role == "title":
            roles[i] = "byline"
        elif _is_names(text) and prev_role in ("body", "caption") and _is_complete(prev_text):
            # Photographers' names without 摄 under a one-paragraph caption.
            roles[i] = "credit"
            roles[i - 1] = "caption"
        elif _title_like(text) or (
            len(text) <= 2 * _MAX_TITLE
            and not _is_complete(text)
            and i + 1 < n
            and _is_names(next_text)
            and prev_role not in ("title", "byline")
        ):
            followed_by_byline = i + 1 < n and _is_names(next_text) and not _is_credit(next_text)
            after_complete = i == 0 or prev_role == "credit" or _is_complete(prev_text)
            # A title never follows a title or a byline: that line is the body's first piece.
            if prev_role in ("title", "byline"):
                continue
            next_is_body = i + 1 < n and (not _title_like(next_text) or _has_clause(next_text))
            # A short line with a comma and no byline is far more often the first piece of a
            # column-broken paragraph than a title.
            has_clause = _has_clause(text)
            if followed_by_byline or (after_complete and next_is_body and not has_clause):
                roles[i] = "title"
    return roles


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
    roles = _labels(paragraphs)
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
            if last_body is not None and not _is_complete(last_body.text):
                # Column break: the paragraph continues. Joined without a space, as the break
                # can fall inside a word or a number.
                current.paragraphs[-1] += para.text
            else:
                current.paragraphs.append(para.text)
            current.end = para.end
            last_body = para
    return items
