from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govnlp.cli import main
from govnlp.pages import PageModel, split_page, split_paragraphs
from govnlp.pages.features import bucket, line_vectors, page_features
from govnlp.pages.lexicon import is_credit, is_names
from govnlp.pages.model import FOLLOWS, ROLES, decode_roles
from govnlp.pages.ngrams import (
    NgramCounts,
    association,
    break_statistics,
    ngram_key,
    ngram_statistics,
)
from govnlp.pages.reader import DILATIONS, READ_LEFT, BreakReader, break_readings, encode_breaks

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Our own short page: a fragment, an article with byline and a column break inside a word,
# a photo item, and a second article whose body breaks inside a quoted name.
PAGE = """共同推动了全县河道治理。

“智慧河长” 守护碧水
张三 李四

近年来，全县把河道巡查纳入积分
管理,引导村民参与护河。

去年以来，嘉
兴市拓宽了治理思路，水质明显改善。

图为志愿者在河边清理垃圾。
王五 摄

平安码上线

记者从县公安局获悉，全县推出“平
安码”应用，群众办事更方便。
"""


def test_example_page_items():
    items = split_page(PAGE)
    assert [i.kind for i in items] == ["fragment", "article", "photo", "article"]
    assert items[1].title == "“智慧河长” 守护碧水"
    assert items[1].byline == "张三 李四"
    assert items[1].paragraphs == [
        "近年来，全县把河道巡查纳入积分管理,引导村民参与护河。",
        "去年以来，嘉兴市拓宽了治理思路，水质明显改善。",
    ]
    assert items[2].paragraphs == ["图为志愿者在河边清理垃圾。"]
    assert items[2].byline == "王五 摄"
    assert items[3].paragraphs == ["记者从县公安局获悉，全县推出“平安码”应用，群众办事更方便。"]
    for item in items:
        assert PAGE[item.start : item.end].strip() == PAGE[item.start : item.end]
        assert PAGE[item.start :].startswith(item.title or item.paragraphs[0][:3])


def test_names_without_she_under_a_caption_are_a_credit():
    page = (
        "全县推进河道综合治理\n\n张三 李四\n\n"
        "今年以来，全县把河道巡查纳入积分管理，引导村民参与护河，河道水质明显改善。\n\n"
        "县水利局负责人介绍，下一步将继续完善长效管护机制。\n\n"
        "图为志愿者在河边清理垃圾。\n\n赵六 钱七\n\n"
        "乡村学校迎来新校舍\n\n本报记者 王五\n\n"
        "新学期开学，全镇三所乡村学校的学生搬进了新教学楼。\n"
    )
    items = split_page(page)
    assert [i.kind for i in items] == ["article", "photo", "article"]
    assert items[1].byline == "赵六 钱七"
    assert items[1].paragraphs == ["图为志愿者在河边清理垃圾。"]
    assert items[2].byline == "本报记者 王五"


def test_two_character_names_padded_to_three_are_names():
    # Newspapers write 申　琳 (full-width space) or 王 五 to line them up with 张大伟. Whether a
    # credit line under a caption is a credit also depends on its page (the model weighs it
    # against the corpus's own credit lines inside article bodies); its pattern is tested in
    # test_padded_names_need_a_surname_and_a_one_character_given_name.
    page = (
        "全县推进河道综合治理\n本报记者\u3000申\u3000琳\u3000张大伟\n\n"
        "今年以来，全县把河道巡查纳入积分管理，引导村民参与护河，河道水质明显改善。\n\n"
        "图为志愿者在河边清理垃圾。\n王五 摄\n"
    )
    items = split_page(page)
    assert [i.kind for i in items] == ["article", "photo"]
    assert items[0].byline == "本报记者\u3000申\u3000琳\u3000张大伟"
    assert items[1].byline == "王五 摄"


def test_padded_names_need_a_surname_and_a_one_character_given_name():
    assert is_names("申 琳") and is_names("王\u3000五 李四")
    assert not is_names("春 耕")  # 春 is not a surname
    assert not is_names("张 三四")  # a padded name has a one-character given name
    assert is_credit("申\u3000琳摄") and not is_credit("申 琳")
    assert is_credit("王 五摄") and is_credit("王\u3000五 摄")


def test_agency_and_picture_desk_credits():
    assert is_credit("新华社记者 李贺摄")
    assert is_credit("王五摄（人民视觉）") and is_credit("许\xa0旭摄（影像中国）")
    assert is_credit("王五 李四摄影报道（人民视觉）")
    assert is_names("新华社记者\xa0\xa0李\xa0\xa0贺") and is_names("实习生 王五")
    assert not is_credit("图片来源：人民视觉")
    page = (
        "全县推进河道综合治理\n本报记者 王五\n\n"
        "今年以来，全县把河道巡查纳入积分管理，引导村民参与护河，河道水质明显改善。\n\n"
        "图为志愿者在河边清理垃圾。\n新华社记者 李贺摄\n\n乡村学校迎来新校舍\n\n"
        "新学期开学，全镇三所乡村学校的学生搬进了新教学楼。\n"
    )
    assert [(i.kind, i.byline) for i in split_page(page)] == [
        ("article", "本报记者 王五"),
        ("photo", "新华社记者 李贺摄"),
        ("article", ""),
    ]


def _non_space(text: str) -> str:
    return re.sub(r"\s", "", text)


def _flatten(items) -> str:
    out = []
    for item in items:
        if item.kind == "photo":
            out += [*item.paragraphs, item.byline]
        else:
            out += [item.title, item.byline, *item.paragraphs]
    return "".join(out)


lines = st.lists(
    st.text(
        alphabet=st.sampled_from(list("标题政府张三李四王五摄，,。！？“”（）() \u3000GDP12")),
        max_size=40,
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(lines, st.sampled_from(["\n", "\n\n", "\n \n", "\n\u3000\n"]))
def test_nothing_lost_nothing_invented(page_lines, separator):
    text = separator.join(page_lines)
    items = split_page(text)
    assert _non_space(_flatten(items)) == _non_space(text)
    for item in items:
        assert 0 <= item.start < item.end <= len(text)
    assert [i.start for i in items] == sorted(i.start for i in items)


def test_paragraph_offsets():
    text = "  标题 \n\u3000\n正文。"
    paragraphs = split_paragraphs(text)
    assert [(p.text, text[p.start : p.end]) for p in paragraphs] == [
        ("标题", "标题"),
        ("正文。", "正文。"),
    ]


def test_cli_split_page_json(tmp_path, capsys):
    page = tmp_path / "page.txt"
    page.write_text(PAGE, encoding="gb18030")
    binary = tmp_path / "scan.txt"
    binary.write_bytes(bytes(range(256)))
    assert main(["split-page", str(page), str(binary), str(tmp_path / "missing.txt")]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    item_keys = {"id", "status", "error", "kind", "title", "byline", "paragraphs", "start", "end"}
    assert [set(d) for d in data[:4]] == [item_keys] * 4
    assert [d["id"] for d in data[:4]] == [f"{page}#{n}" for n in range(1, 5)]
    assert data[1]["title"] == "“智慧河长” 守护碧水"
    # bad inputs are records with the statuses govnlp tag gives them, and the rest goes on
    assert [(d["id"], d["status"]) for d in data[4:]] == [
        (str(binary), "binary"),
        (str(tmp_path / "missing.txt"), "not_found"),
    ]
    assert "3 records: binary 1, not_found 1, ok 1" in captured.err
    assert main(["split-page", str(binary)]) == 1


def test_cli_split_page_jsonl_and_text(capsys):
    assert main(["split-page", str(EXAMPLES / "page.txt"), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["kind"] for r in rows} >= {"article", "photo"}
    assert main(["split-page", str(EXAMPLES / "page.txt"), "--format", "text"]) == 0
    assert "[photo]" in capsys.readouterr().out


def test_a_page_repeated_300_times_splits_into_every_item():
    text = (PAGE + "\n") * 300
    items = split_page(text)
    # The leading fragment of each later copy ends the previous article's body.
    assert len(items) == 1 + 3 * 300


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(-20, 0), min_size=6, max_size=6), min_size=1, max_size=30))
def test_decoded_roles_obey_the_page_grammar(rows):
    roles = decode_roles(np.array(rows))
    assert len(roles) == len(rows)
    previous = None
    for role in roles:
        assert role in FOLLOWS[previous]
        previous = role
    if len(roles) > 1:
        assert roles[-1] != "caption"


def test_column_break_inside_a_word_is_joined():
    # 嘉|兴 is a common pair in running text; 。|县 across a sentence end is not special.
    counts = PageModel.from_pretrained().ngrams
    assert association("嘉", "兴", counts) > association("。", "县", counts)
    page = "全市河道实现巡查全覆盖,河长制在基层发挥作用,嘉\n兴市拓宽了治理思路。\n"
    (item,) = split_page(page)
    assert item.paragraphs == ["全市河道实现巡查全覆盖,河长制在基层发挥作用,嘉兴市拓宽了治理思路。"]


def test_cohesion_is_lower_across_a_change_of_topic():
    water = ["全县河道治理取得实效，河长巡查河道。", "河道水质明显改善，河长制落到实处。"]
    school = ["县里新建两所学校，学生就近入学。", "学校配齐教师，学生课后服务全覆盖。"]

    def across(lines: list[str], i: int) -> int:
        (feature,) = [f for f in page_features(lines)[i] if f.startswith("c:across=")]
        return int(feature.split("=")[1])

    heading = "河道治理见成效"
    same_topic = [*water, heading, *water]
    new_topic = [*water, "新校开学", *school]
    assert across(same_topic, 2) > across(new_topic, 2)
    # the heading echoes the body that follows it
    echo = [f for f in page_features(same_topic)[2] if f.startswith("c:echo_next=")]
    assert echo != ["c:echo_next=0"]


# Our own running text for n-gram statistics: 嘉兴 and 积分管理 read on, paragraphs end in 。
RUNNING_TEXT = "\n".join(
    [
        "嘉兴市把河道巡查纳入积分管理，嘉兴市民积极参与。",
        "积分管理让村民参与护河，嘉兴的河道更干净了。",
        "全县推行积分管理。",
    ]
    * 3
)


def test_ngram_statistics_keep_exact_keys_of_repeated_ngrams():
    stats = ngram_statistics([RUNNING_TEXT, "孤例"], min_count=2)
    keys = stats["ngram_keys"]
    assert keys.dtype == np.uint32 and np.all(np.diff(keys.astype(np.int64)) > 0)
    # 积分管 occurs 9 times (counts are stored as round(8 ln c)); 孤例 once, so dropped, but
    # its characters are kept
    index = np.searchsorted(keys, ngram_key("积分管"))
    assert keys[index] == ngram_key("积分管")
    assert stats["ngram_counts"][index] == round(8 * np.log(9))
    assert ngram_key("孤例") not in set(keys.tolist())
    assert ngram_key("孤") in set(keys.tolist())
    # 积分管 is always followed by 理: one follower (stored as round(8 ln(1 + followers)))
    assert stats["ngram_followers"][index] == round(8 * np.log(2))
    assert stats["ngram_total"][0] == len(RUNNING_TEXT) + 2 + len("孤例") + 2


def test_break_statistics_tell_a_word_split_from_a_paragraph_end():
    counts = NgramCounts(ngram_statistics([RUNNING_TEXT]))
    split_word, paragraph_end = break_statistics(
        ["纳入积分", "管理，嘉兴市民积极参与。", "全县推行积分管理。"], counts
    )
    assert split_word.ratio > 0 > paragraph_end.ratio
    assert split_word.end < paragraph_end.end  # 。 ends paragraphs, 分 does not
    assert association("嘉", "兴", counts) > association("。", "嘉", counts)
    # a model without n-gram statistics: neutral values, no error
    assert break_statistics(["纳入积分", "管理"], None)[0].ratio == 0.0


def _reference_reading(arrays: dict[str, np.ndarray], left: str, right: str) -> float:
    """The break reader written out position by position, to check the vectorised numpy one."""
    ids = {chr(c): i + 5 for i, c in enumerate(arrays["reader_chars"].tolist())}
    (row,) = encode_breaks([(left, right)], ids)
    x = arrays["reader_embedding"][row].astype(np.float64)
    for k, dilation in enumerate(DILATIONS):
        weight, bias = arrays[f"reader_conv{k}_weight"], arrays[f"reader_conv{k}_bias"]
        y = np.tile(bias.astype(np.float64), (len(x), 1))
        for t in range(len(x)):
            for tap in range(3):
                source = t + (tap - 1) * dilation
                if 0 <= source < len(x):
                    y[t] += x[source] @ weight[tap]
        y = np.maximum(y, 0.0)
        x = y if k == 0 else x + y
    at = READ_LEFT + 1
    pooled = np.concatenate([x[at], x[:at].max(axis=0), x[at + 1 :].max(axis=0)])
    hidden = np.maximum(pooled @ arrays["reader_hidden_weight"] + arrays["reader_hidden_bias"], 0)
    return float((hidden @ arrays["reader_output_weight"] + arrays["reader_output_bias"])[0])


def test_break_reader_learns_column_breaks_and_reads_them_in_numpy():
    # Our own paragraphs, cut inside a sentence (join) or kept whole (a paragraph break).
    paragraphs = [
        "县里投资建设污水处理厂，日处理能力大幅提升。",
        "村里把河道巡查纳入积分管理，引导村民参与护河。",
        "学校配齐教师，学生课后服务实现全覆盖。",
        "街道推出平安码应用，群众办事更方便。",
    ]
    examples = []
    for shift in range(12):
        lines, roles = [], []
        for n, paragraph in enumerate(paragraphs):
            cut = 3 + (shift + 5 * n) % (len(paragraph) - 6)
            if (shift + n) % 2:
                lines += [paragraph[:cut], paragraph[cut:]]
                roles += ["body", "join"]
            else:
                lines.append(paragraph)
                roles.append("body")
        examples.append((lines, roles))
    pytest.importorskip("torch")
    from govnlp.pages.train import train_break_reader

    reader = train_break_reader(examples, seed=0, epochs=40)
    assert reader.arrays["reader_conv0_weight"].shape[0] == 3  # (taps, in, out)
    readings = break_readings(["村里把河道巡查纳入积分", "管理，引导村民参与护河。"], reader)
    assert readings[0] > 0
    # a paragraph that ends, then another that starts
    ended = break_readings(["学生课后服务实现全覆盖。", "街道推出平安码应用"], reader)[0]
    assert ended < readings[0]
    # the CRF sees the reading, scaled, as a real-valued feature of both lines
    first, second = line_vectors(
        ["村里把河道巡查纳入积分", "管理，引导村民参与护河。"], None, reader
    )
    scaled = min(4.0, float(readings[0]) / 4)
    assert first[bucket("y:read")] == second[bucket("x:read")]
    assert abs(second[bucket("x:read")] - scaled) < 1e-6
    pairs = [("县里投资建设污水处理", "厂，日处理能力"), ("学校配齐教师，", "街道推出平安码")]
    fast = break_readings([pairs[0][0], pairs[0][1]], reader)[0]
    assert abs(fast - _reference_reading(reader.arrays, *pairs[0])) < 1e-4
    restored = BreakReader(reader.arrays)  # what a saved page model reads back
    assert abs(restored(pairs[1:])[0] - _reference_reading(reader.arrays, *pairs[1])) < 1e-4


def test_join_bias_saved_with_the_model_trades_joins_away():
    import dataclasses

    shipped = PageModel.from_pretrained()
    assert shipped.join_bias < 0
    lines = ["全县河道实现巡查全覆盖,河长制在基层发挥作用,嘉", "兴市拓宽了治理思路。"]
    assert shipped.predict_roles(lines) == ["body", "join"]
    assert dataclasses.replace(shipped, join_bias=-100.0).predict_roles(lines) == ["body", "body"]


# Our own page with every role, for training the role model in tests.
ROLE_PAGE = [
    ("县里新建污水处理厂", "title"),
    ("张三 李四", "byline"),
    ("今年以来，县里投资建设污水处理", "body"),
    ("厂，日处理能力大幅提升。", "join"),
    ("周边村民说，河水比以前清了。", "body"),
    ("图为工人在调试设备。", "caption"),
    ("王五 摄", "credit"),
    ("乡村学校迎来新老师", "title"),
    ("新学期开始，二十名青年教师来到山区学校任教。", "body"),
]


def test_train_role_model_learns_the_roles_of_its_pages(tmp_path):
    pytest.importorskip("pycrfsuite")
    from govnlp.pages.train import train_role_model

    lines, roles = [line for line, _ in ROLE_PAGE], [role for _, role in ROLE_PAGE]
    features = PageModel(ngrams=NgramCounts(ngram_statistics([RUNNING_TEXT, "\n".join(lines)])))
    # two folds, each with its own statistics, as scripts/train_pages.py does
    folds = [([(lines, roles)] * 3, features), ([(lines, roles)] * 2, features)]
    model = train_role_model(folds, features, c2=0.01, join_bias=0.0)
    assert model.coef.shape == (len(ROLES), 1 << 18)
    assert model.transitions.shape == (len(ROLES), len(ROLES))
    assert model.ngrams is features.ngrams
    assert model.predict_roles(lines) == roles
    assert split_page("\n".join(lines), model=model)[0].byline == "张三 李四"
    # the model saves and loads itself, and reads as before
    path = model.save_pretrained(tmp_path / "page_model.safetensors")
    restored = PageModel.from_pretrained(path)
    assert restored.predict_roles(lines) == roles
    np.testing.assert_array_equal(restored.role_scores(lines), model.role_scores(lines))


class FakeReader:
    """A break reader that is sure of every break: +8 before a join, -8 before anything else."""

    def __init__(self, roles: list[str]) -> None:
        self.readings = np.array([8.0 if role == "join" else -8.0 for role in roles[1:]])

    def __call__(self, pairs):
        return self.readings[: len(pairs)]


def test_role_model_weighs_the_break_readings_for_every_role():
    pytest.importorskip("pycrfsuite")
    from govnlp.pages.train import train_role_model

    lines, roles = [line for line, _ in ROLE_PAGE], [role for _, role in ROLE_PAGE]
    # Negative before every line but the join: by default CRFsuite drops a weighted attribute
    # whose values sum below 0 over a role's lines.
    features = PageModel(
        ngrams=NgramCounts(ngram_statistics([RUNNING_TEXT])), reader=FakeReader(roles)
    )
    model = train_role_model([([(lines, roles)] * 3, features)], features, c2=0.01)
    before = model.coef[:, bucket("x:read")]
    after = model.coef[:, bucket("y:read")]
    # every role is seen both after a break and before one on this page
    assert np.all(before != 0)
    assert np.all(after != 0)
