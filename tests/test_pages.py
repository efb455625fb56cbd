from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from govnlp.cli import main
from govnlp.pages import split_page, split_paragraphs

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
    from govnlp.pages import _is_credit, _is_names

    assert _is_names("申 琳") and _is_names("王\u3000五 李四")
    assert not _is_names("春 耕")  # 春 is not a surname
    assert not _is_names("张 三四")  # a padded name has a one-character given name
    assert _is_credit("申\u3000琳摄") and not _is_credit("申 琳")
    assert _is_credit("王 五摄") and _is_credit("王\u3000五 摄")


def test_agency_and_picture_desk_credits():
    from govnlp.pages import _is_credit, _is_names

    assert _is_credit("新华社记者 李贺摄")
    assert _is_credit("王五摄（人民视觉）") and _is_credit("许\xa0旭摄（影像中国）")
    assert _is_credit("王五 李四摄影报道（人民视觉）")
    assert _is_names("新华社记者\xa0\xa0李\xa0\xa0贺") and _is_names("实习生 王五")
    assert not _is_credit("图片来源：人民视觉")
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
    assert main(["split-page", str(page)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [set(d) for d in data] == [{"kind", "title", "byline", "paragraphs", "start", "end"}] * 4
    assert data[1]["title"] == "“智慧河长” 守护碧水"


def test_cli_split_page_jsonl_and_text(capsys):
    assert main(["split-page", str(EXAMPLES / "page.txt"), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["kind"] for r in rows} >= {"article", "photo"}
    assert main(["split-page", str(EXAMPLES / "page.txt"), "--format", "text"]) == 0
    assert "[photo]" in capsys.readouterr().out


def test_split_large_page_is_linear():
    text = (PAGE + "\n") * 300
    items = split_page(text)
    # The leading fragment of each later copy ends the previous article's body.
    assert len(items) == 1 + 3 * 300


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(-20, 0), min_size=6, max_size=6), min_size=1, max_size=30))
def test_decoded_roles_obey_the_page_grammar(rows):
    import numpy as np

    from govnlp.pages import _FOLLOWS, decode_roles

    roles = decode_roles(np.array(rows))
    assert len(roles) == len(rows)
    previous = None
    for role in roles:
        assert role in _FOLLOWS[previous]
        previous = role
    if len(roles) > 1:
        assert roles[-1] != "caption"


def test_column_break_inside_a_word_is_joined():
    from govnlp.pages import association

    # 嘉|兴 is a common pair in running text; 。|县 across a sentence end is not special.
    assert association("嘉", "兴") > association("。", "县")
    page = "全市河道实现巡查全覆盖,河长制在基层发挥作用,嘉\n兴市拓宽了治理思路。\n"
    (item,) = split_page(page)
    assert item.paragraphs == ["全市河道实现巡查全覆盖,河长制在基层发挥作用,嘉兴市拓宽了治理思路。"]


def test_cohesion_is_lower_across_a_change_of_topic():
    from govnlp.pages import page_features

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
    from govnlp.pages import _ngram_key, ngram_statistics

    stats = ngram_statistics([RUNNING_TEXT, "孤例"], min_count=2)
    keys = stats["ngram_keys"]
    assert keys.dtype == np.uint32 and np.all(np.diff(keys.astype(np.int64)) > 0)
    # 积分管 occurs 9 times (counts are stored as round(8 ln c)); 孤例 once, so dropped, but
    # its characters are kept
    index = np.searchsorted(keys, _ngram_key("积分管"))
    assert keys[index] == _ngram_key("积分管")
    assert stats["ngram_counts"][index] == round(8 * np.log(9))
    assert _ngram_key("孤例") not in set(keys.tolist())
    assert _ngram_key("孤") in set(keys.tolist())
    # 积分管 is always followed by 理: one follower (stored as round(8 ln(1 + followers)))
    assert stats["ngram_followers"][index] == round(8 * np.log(2))
    assert stats["ngram_total"][0] == len(RUNNING_TEXT) + 2 + len("孤例") + 2


def test_break_statistics_tell_a_word_split_from_a_paragraph_end():
    from govnlp.pages import association, break_statistics, ngram_statistics, using_role_model

    with using_role_model(ngram_statistics([RUNNING_TEXT])):
        split_word, paragraph_end = break_statistics(
            ["纳入积分", "管理，嘉兴市民积极参与。", "全县推行积分管理。"]
        )
        assert split_word.ratio > 0 > paragraph_end.ratio
        assert split_word.end < paragraph_end.end  # 。 ends paragraphs, 分 does not
        assert association("嘉", "兴") > association("。", "嘉")
    # a model without n-gram statistics: neutral values, no error
    with using_role_model({"transitions": np.zeros((6, 6), np.float32)}):
        assert break_statistics(["纳入积分", "管理"])[0].ratio == 0.0


def _reference_reading(arrays: dict[str, np.ndarray], left: str, right: str) -> float:
    """The break reader written out position by position, to check the vectorised numpy one."""
    from govnlp import pages

    ids = {chr(c): i + 5 for i, c in enumerate(arrays["reader_chars"].tolist())}
    (row,) = pages._encode_breaks([(left, right)], ids)
    x = arrays["reader_embedding"][row].astype(np.float64)
    for k, dilation in enumerate(pages._READ_DILATIONS):
        weight, bias = arrays[f"reader_conv{k}_weight"], arrays[f"reader_conv{k}_bias"]
        y = np.tile(bias.astype(np.float64), (len(x), 1))
        for t in range(len(x)):
            for tap in range(3):
                source = t + (tap - 1) * dilation
                if 0 <= source < len(x):
                    y[t] += x[source] @ weight[tap]
        y = np.maximum(y, 0.0)
        x = y if k == 0 else x + y
    at = pages._READ_LEFT + 1
    pooled = np.concatenate([x[at], x[:at].max(axis=0), x[at + 1 :].max(axis=0)])
    hidden = np.maximum(pooled @ arrays["reader_hidden_weight"] + arrays["reader_hidden_bias"], 0)
    return float((hidden @ arrays["reader_output_weight"] + arrays["reader_output_bias"])[0])


def test_break_reader_learns_column_breaks_and_reads_them_in_numpy():
    from govnlp import pages

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
    arrays = pages.train_break_reader(examples, seed=0, epochs=40)
    assert arrays["reader_conv0_weight"].shape[0] == 3  # (taps, in, out)
    with pages.using_role_model(arrays):
        readings = pages.break_readings(["村里把河道巡查纳入积分", "管理，引导村民参与护河。"])
        assert readings[0] > 0
        # a paragraph that ends, then another that starts
        ended = pages.break_readings(["学生课后服务实现全覆盖。", "街道推出平安码应用"])[0]
        assert ended < readings[0]
        # the CRF sees the reading, scaled, as a real-valued feature of both lines
        first, second = pages.line_vectors(["村里把河道巡查纳入积分", "管理，引导村民参与护河。"])
        scaled = min(4.0, float(readings[0]) / 4)
        assert first[pages._bucket("y:read")] == second[pages._bucket("x:read")]
        assert abs(second[pages._bucket("x:read")] - scaled) < 1e-6
    pairs = [("县里投资建设污水处理", "厂，日处理能力"), ("学校配齐教师，", "街道推出平安码")]
    with pages.using_role_model(arrays):
        fast = pages.break_readings([pairs[0][0], pairs[0][1]])[0]
    assert abs(fast - _reference_reading(arrays, *pairs[0])) < 1e-4
    assert (
        abs(pages._BreakReader(arrays)(pairs[1:])[0] - _reference_reading(arrays, *pairs[1])) < 1e-4
    )


def test_join_bias_saved_with_the_model_trades_joins_away():
    from safetensors.numpy import load_file

    from govnlp import pages

    path = Path(pages.__file__).with_name(pages.MODEL_FILE)
    shipped = load_file(str(path))
    assert shipped["join_bias"].shape == (1,)
    lines = ["全县河道实现巡查全覆盖,河长制在基层发挥作用,嘉", "兴市拓宽了治理思路。"]
    assert pages.predict_roles(lines) == ["body", "join"]
    with pages.using_role_model({**shipped, "join_bias": np.array([-100.0], np.float32)}):
        assert pages.predict_roles(lines) == ["body", "body"]


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


def test_train_role_model_learns_the_roles_of_its_pages():
    import pytest

    pytest.importorskip("pycrfsuite")
    from govnlp import pages

    lines, roles = [line for line, _ in ROLE_PAGE], [role for _, role in ROLE_PAGE]
    statistics = pages.ngram_statistics([RUNNING_TEXT, "\n".join(lines)])
    # two folds, each with its own statistics, as scripts/train_pages.py does
    folds = [([(lines, roles)] * 3, statistics), ([(lines, roles)] * 2, statistics)]
    weights = pages.train_role_model(folds, statistics, c2=0.01, join_bias=0.0)
    assert weights["coef"].shape == (len(pages.ROLES), pages.N_BUCKETS)
    assert weights["transitions"].shape == (len(pages.ROLES), len(pages.ROLES))
    assert weights["ngram_keys"] is statistics["ngram_keys"]
    with pages.using_role_model(weights):
        assert pages.predict_roles(lines) == roles
    # back to the shipped model afterwards
    assert pages.predict_roles(["“智慧河长” 守护碧水", "张三 李四"]) == ["title", "byline"]


def test_role_model_weighs_the_break_readings_for_every_role(monkeypatch):
    import pytest

    pytest.importorskip("pycrfsuite")
    from govnlp import pages

    lines, roles = [line for line, _ in ROLE_PAGE], [role for _, role in ROLE_PAGE]
    # A reader that is sure of every break, and negative before every line but the join: by
    # default CRFsuite drops a weighted attribute whose values sum below 0 over a role's lines.
    readings = np.array([8.0 if role == "join" else -8.0 for role in roles[1:]])
    monkeypatch.setattr(pages, "break_readings", lambda _: readings)
    statistics = pages.ngram_statistics([RUNNING_TEXT])
    weights = pages.train_role_model([([(lines, roles)] * 3, statistics)], statistics, c2=0.01)
    coef = weights["coef"].astype(np.float32)
    before = coef[:, pages._bucket("x:read")]
    after = coef[:, pages._bucket("y:read")]
    # every role is seen both after a break and before one on this page
    assert np.all(before != 0)
    assert np.all(after != 0)
