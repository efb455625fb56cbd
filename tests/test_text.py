from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govnlp.text import clauses, paragraph_sentences, sentence_spans, sentences, split_sentences

# Text drawn from the characters that matter: CJK, both punctuation widths, quotes, titles,
# ellipses, digits, Latin letters and whitespace.
ALPHABET = (
    list("政府工作报告我们他说好中国乡村振兴")
    + list("。！？!?；;，,：:.…")
    + list("“”‘’「」《》（）()〈〉\"' \n\t\u3000123.5GDPab")
)
chinese_text = st.text(alphabet=st.sampled_from(ALPHABET), max_size=300)


@settings(max_examples=400, deadline=None)
@given(chinese_text, st.booleans(), st.integers(min_value=2, max_value=80))
def test_split_loses_and_invents_nothing(text, semicolon, max_chars):
    pieces = split_sentences(text, semicolon=semicolon, max_chars=max_chars)
    assert "".join(pieces) == text
    assert all(pieces), "no empty piece"
    assert all(len(p) <= max_chars for p in pieces)
    for before, piece in itertools.pairwise(pieces):
        # A whitespace-only piece is only ever the tail of a run cut at max_chars.
        assert piece.strip() or len(before) == max_chars


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_split_any_unicode(text):
    assert "".join(split_sentences(text)) == text
    spans = sentence_spans(text)
    assert all(a < b for a, b in spans)
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))


@settings(max_examples=200, deadline=None)
@given(chinese_text)
def test_sentences_are_stripped_pieces(text):
    assert sentences(text) == [p.strip() for p in split_sentences(text) if p.strip()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他说：“好。”我们走吧。", ["他说：“好。”", "我们走吧。"]),
        ("我们看了《摔跤吧！爸爸》。很好看！", ["我们看了《摔跤吧！爸爸》。", "很好看！"]),
        ("总投资3.5亿元。比分1:1。", ["总投资3.5亿元。", "比分1:1。"]),
        ("真的吗？！是的……走吧", ["真的吗？！", "是的……", "走吧"]),
        ("增长很快!大家好?是的.", ["增长很快!", "大家好?", "是的."]),
        ("标题\n\n正文第一句。第二句。", ["标题\n\n", "正文第一句。", "第二句。"]),
        ("他讲：「好。」完。", ["他讲：「好。」", "完。"]),
        ("访问www.gov.cn了解U.S.政策。", ["访问www.gov.cn了解U.S.政策。"]),
        ("", []),
        ("   ", ["   "]),
        ("第一，要稳；第二，要进。", ["第一，要稳；第二，要进。"]),
    ],
)
def test_split_cases(text, expected):
    assert split_sentences(text) == expected


def test_semicolon_option():
    assert split_sentences("第一，要稳；第二，要进。", semicolon=True) == [
        "第一，要稳；",
        "第二，要进。",
    ]
    assert split_sentences("甲;乙", semicolon=True) == ["甲;", "乙"]


def test_ascii_and_full_width_end_marks_agree():
    full = split_sentences("今天开会。大家发言！有问题吗？")
    half = split_sentences("今天开会。大家发言!有问题吗?")
    assert [len(p) for p in full] == [len(p) for p in half]


def test_unbalanced_title_bracket_does_not_swallow_the_page():
    text = "《标题没有闭合。" + "后面的句子。" * 20
    assert len(split_sentences(text)) == 21


def test_long_run_is_cut_at_a_comma_or_safe_point():
    text = ("这是一段没有句号的很长文字，" * 60) + "最后"
    pieces = split_sentences(text, max_chars=100)
    assert "".join(pieces) == text
    assert all(len(p) <= 100 for p in pieces)
    assert all(p.endswith("，") for p in pieces[:-1])
    no_punct = "字" * 1200
    assert [len(p) for p in split_sentences(no_punct, max_chars=256)] == [256] * 4 + [176]


def test_long_run_does_not_split_latin_words():
    text = "中" * 240 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "文" * 100
    pieces = split_sentences(text, max_chars=256)
    assert "".join(pieces) == text
    assert any(p.endswith("中") for p in pieces), pieces


def test_max_chars_validation():
    with pytest.raises(ValueError):
        split_sentences("abc", max_chars=1)


@given(chinese_text, st.integers(min_value=0, max_value=12))
def test_clauses_lose_and_invent_nothing(text, min_chars):
    for sentence in sentences(text):
        pieces = clauses(sentence, min_chars=min_chars)
        assert "".join(pieces) == sentence
        assert all(pieces)
        # Every clause but the last ends at a clause mark.
        assert all(piece[-1] in "，；：,;:" for piece in pieces[:-1])


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("其中，全县新建学校12所。", ["其中，全县新建学校12所。"]),
        ("《关于推进改革，促进发展的意见》印发，各地要抓好落实。",
         ["《关于推进改革，促进发展的意见》印发，", "各地要抓好落实。"]),
        ("他说：“要办好教育，办好医疗。”会后，代表们分组讨论。",
         ["他说：“要办好教育，办好医疗。”会后，", "代表们分组讨论。"]),
        ("会议强调，要坚持人民至上；要守住安全底线。", ["会议强调，要坚持人民至上；", "要守住安全底线。"]),
    ],
)  # fmt: skip
def test_clauses_keep_titles_quotes_and_short_openers_whole(sentence, expected):
    assert clauses(sentence) == expected


def test_paragraph_sentences_keeps_paragraphs_apart():
    text = "第一段第一句。第一段第二句。\n   \n第二段。\r\n第三段"
    assert paragraph_sentences(text) == [
        ["第一段第一句。", "第一段第二句。"],
        ["第二段。"],
        ["第三段"],
    ]
