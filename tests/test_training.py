from __future__ import annotations

import json
import re

import numpy as np
import pytest

from govnlp.cli import main
from govnlp.evaluation.evaluate import evaluate
from govnlp.tagging import Tagger, TrainingConfig, train
from govnlp.tagging.data import load_examples, split_validation

LABELS_CSV = "id,name_zh\nenvironment,生态环境\neconomy,经济发展\nhealth,医疗卫生\n"
ARTICLES = [
    ("污水处理", "县里新建了污水处理厂，河道水质明显好转。", ["environment"]),
    ("招商引资", "工业园区引进了三家企业，年产值增长。", ["economy"]),
    ("医院扩建", "县医院新建了住院楼，看病更方便了。", ["health"]),
    ("绿色发展", "关停污染企业，发展生态产业。", ["environment", "economy"]),
    ("天气", "今天天气晴。", []),
]


@pytest.fixture()
def data_dir(tmp_path):
    (tmp_path / "labels.csv").write_text(LABELS_CSV, encoding="utf-8")
    with (tmp_path / "train.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(4):
            for n, (title, text, labels) in enumerate(ARTICLES):
                record = {
                    "id": f"a{i}-{n}",
                    "title": title,
                    "text": text * (1 + i),
                    "labels": labels,
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return tmp_path


def tiny_config(tiny_bert_dir, data_dir, **overrides) -> TrainingConfig:
    values = {
        "base_model": str(tiny_bert_dir),
        "labels": str(data_dir / "labels.csv"),
        "max_length": 32,
        "stride": 20,
        "frozen_layers": 1,
        "epochs": 1,
        "batch_size": 4,
        "max_steps": 2,
        "validation_fraction": 0.25,
    }
    values.update(overrides)
    return TrainingConfig(**values)


def test_two_step_training_run_saves_a_loadable_model(tiny_bert_dir, data_dir, tmp_path):
    out = tmp_path / "model"
    tagger = train(data_dir / "train.jsonl", tiny_config(tiny_bert_dir, data_dir), out)
    log = json.loads((out / "training_log.json").read_text(encoding="utf-8"))
    assert log["history"][0]["step"] == 2
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["training_config"]["max_steps"] == 2
    assert len(config["thresholds"]) == 3
    assert all(0.0 < t < 1.0 for t in config["thresholds"])
    loaded = Tagger.from_pretrained(out)
    texts = [text for _, text, _ in ARTICLES]
    # weights are stored as float16: scores agree to about 1e-3
    np.testing.assert_allclose(loaded.predict_proba(texts), tagger.predict_proba(texts), atol=5e-3)


def test_training_is_deterministic(tiny_bert_dir, data_dir):
    config = tiny_config(tiny_bert_dir, data_dir)
    first = train(data_dir / "train.jsonl", config).predict_proba(["县里新建了污水处理厂。"])
    second = train(data_dir / "train.jsonl", config).predict_proba(["县里新建了污水处理厂。"])
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_training_updates_only_the_top_layers(tiny_bert_dir, data_dir):
    import torch

    before = Tagger.from_base_model(tiny_bert_dir, frozen_layers=1, labels=data_dir / "labels.csv")
    after = train(data_dir / "train.jsonl", tiny_config(tiny_bert_dir, data_dir, max_steps=4))
    old, new = before.model.state_dict(), after.model.state_dict()
    assert torch.equal(
        old["encoder.encoder.layer.0.output.dense.weight"],
        new["encoder.encoder.layer.0.output.dense.weight"],
    )
    assert not torch.equal(
        old["encoder.encoder.layer.1.output.dense.weight"],
        new["encoder.encoder.layer.1.output.dense.weight"],
    )


def test_unknown_label_names_the_record(data_dir):
    bad = data_dir / "bad.jsonl"
    bad.write_text(
        '{"id": "1", "title": "t", "text": "x", "labels": ["environment"]}\n'
        '{"id": "2", "title": "t", "text": "x", "labels": ["enviroment"]}\n',
        encoding="utf-8",
    )
    from govnlp.taxonomy import load_labels

    with pytest.raises(ValueError, match="record 2: unknown label 'enviroment'"):
        load_examples(bad, load_labels(data_dir / "labels.csv"))


def test_csv_examples_with_semicolon_labels(data_dir):
    from govnlp.taxonomy import load_labels

    path = data_dir / "train.csv"
    path.write_text(
        "id,title,text,labels\n1,标题,正文,environment;health\n2,标题,正文,\n", encoding="utf-8"
    )
    examples = load_examples(path, load_labels(data_dir / "labels.csv"))
    assert examples.targets.tolist() == [[1, 0, 1], [0, 0, 0]]


def test_split_validation_is_seeded_and_disjoint():
    a_train, a_val = split_validation(100, 0.15, 7)
    _b_train, b_val = split_validation(100, 0.15, 7)
    assert a_val.tolist() == b_val.tolist() and len(a_val) == 15
    assert not set(a_train) & set(a_val)


def test_unknown_training_option_is_an_error():
    with pytest.raises(ValueError, match="unknown training options"):
        TrainingConfig.from_dict({"epoch": 3})


def test_cli_train_then_evaluate_writes_reports(tiny_bert_dir, data_dir, tmp_path, capsys):
    config = tiny_config(tiny_bert_dir, data_dir).__dict__
    (tmp_path / "recipe.json").write_text(json.dumps(config), encoding="utf-8")
    model = tmp_path / "model"
    code = main(
        [
            "train",
            str(data_dir / "train.jsonl"),
            "--output",
            str(model),
            "--config",
            str(tmp_path / "recipe.json"),
            "--seed",
            "3",
        ]
    )
    assert code == 0
    assert json.loads((model / "config.json").read_text())["training_config"]["seed"] == 3
    report = tmp_path / "report"
    code = main(
        [
            "evaluate",
            str(data_dir / "train.jsonl"),
            "--model",
            str(model),
            "--train-file",
            str(data_dir / "train.jsonl"),
            "--output",
            str(report),
        ]
    )
    assert code == 0
    assert "TF-IDF baseline" in capsys.readouterr().out
    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    assert set(metrics["tagger"]["micro"]) == {"precision", "recall", "f1"}
    assert metrics["baseline"]["n_articles"] == 20
    assert {"max", "mean", "first"} <= set(metrics["long_articles"])
    for name in ("metrics.md", "per_label_f1.png", "calibration.png"):
        assert (report / name).stat().st_size > 0


def test_evaluate_without_baseline(tiny_bert_dir, data_dir, tmp_path):
    model = tmp_path / "model"
    train(data_dir / "train.jsonl", tiny_config(tiny_bert_dir, data_dir), model)
    results = evaluate(model, data_dir / "train.jsonl")
    assert "baseline" not in results
    assert results["tagger"]["n_articles"] == 20


def test_training_on_a_gpu_returns_a_cpu_tagger(tiny_bert_dir, data_dir):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    on_gpu = train(data_dir / "train.jsonl", tiny_config(tiny_bert_dir, data_dir, device="cuda"))
    on_cpu = train(data_dir / "train.jsonl", tiny_config(tiny_bert_dir, data_dir))
    assert {p.device.type for p in on_gpu.model.parameters()} == {"cpu"}
    texts = [text for _, text, _ in ARTICLES]
    # bf16 kernels differ between the devices; the two runs must still agree closely
    np.testing.assert_allclose(on_gpu.predict_proba(texts), on_cpu.predict_proba(texts), atol=0.05)


def test_training_on_several_files_reads_them_all(tiny_bert_dir, data_dir, tmp_path):
    lines = (data_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "part1.jsonl", tmp_path / "part2.csv"
    first.write_text("\n".join(lines[:12]) + "\n", encoding="utf-8")
    rows = [json.loads(line) for line in lines[12:]]
    second.write_text(
        "id,title,text,labels\n"
        + "".join(f"{r['id']},{r['title']},{r['text']},{';'.join(r['labels'])}\n" for r in rows),
        encoding="utf-8",
    )
    from govnlp.taxonomy import load_labels

    labels = load_labels(data_dir / "labels.csv")
    together = load_examples([first, second], labels)
    assert together.ids == load_examples(data_dir / "train.jsonl", labels).ids
    config = tiny_config(tiny_bert_dir, data_dir)
    on_parts = train([first, second], config).predict_proba(["县里新建了污水处理厂。"])
    on_one = train(data_dir / "train.jsonl", config).predict_proba(["县里新建了污水处理厂。"])
    np.testing.assert_allclose(on_parts, on_one, atol=1e-6)


def test_thin_training_data_is_named(tiny_bert_dir, data_dir, tmp_path):
    from govnlp.tagging.data import ThinDataWarning

    six = tmp_path / "six.jsonl"
    lines = (data_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()[:6]
    six.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(ThinDataWarning) as caught:
        train(six, tiny_config(tiny_bert_dir, data_dir))
    messages = [str(w.message) for w in caught]
    assert any(
        re.search(r"3 of 3 themes .* too few to learn: environment \(\d\)", m) for m in messages
    )
    assert any("validation slice has 2 articles" in m for m in messages)
    unlabelled = tmp_path / "none.jsonl"
    unlabelled.write_text(
        "\n".join(
            json.dumps({"id": str(i), "text": "今天天气晴。", "labels": []}) for i in range(8)
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="nothing to learn"):
        train(unlabelled, tiny_config(tiny_bert_dir, data_dir))


def test_model_card_has_one_row_per_evaluation_set(tiny_bert_dir, data_dir, tmp_path):
    from govnlp.evaluation.model_card import write_model_card

    lines = (data_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "part1.jsonl", tmp_path / "part2.jsonl"
    first.write_text("\n".join(lines[:12]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[12:]) + "\n", encoding="utf-8")
    model = tmp_path / "model"
    train([first, second], tiny_config(tiny_bert_dir, data_dir), model)
    # The baseline is trained on the parts in training order: the same split as one joined file.
    on_parts = evaluate(model, data_dir / "train.jsonl", [first, second])
    on_joined = evaluate(model, data_dir / "train.jsonl", data_dir / "train.jsonl")
    assert on_parts["baseline"] == on_joined["baseline"]
    dev_extra = tmp_path / "dev_extra.jsonl"
    dev_extra.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    evaluations = {"dev": on_parts, "dev_extra": evaluate(model, dev_extra, [first, second])}
    card = write_model_card(
        model, evaluations, data_description="Tiny.", command="python train.py"
    ).read_text(encoding="utf-8")
    for name, results in evaluations.items():
        gap = 100 * (results["tagger"]["micro"]["f1"] - results["baseline"]["micro"]["f1"])
        row = f"| {name} | {results['tagger']['n_articles']} | "
        assert row in card
        assert f"{gap:+.1f} |" in card.split(row, 1)[1].splitlines()[0]
        assert f"### {name}" in card
    assert "$" not in card  # every template field filled
    other = tmp_path / "seed-4"
    train([first, second], tiny_config(tiny_bert_dir, data_dir, seed=4), other)
    seed_runs = {
        13: evaluations,
        4: {
            name: evaluate(other, path, [first, second])
            for name, path in [("dev", data_dir / "train.jsonl"), ("dev_extra", dev_extra)]
        },
    }
    card = write_model_card(
        model, evaluations, data_description="", command="", seed_runs=seed_runs
    ).read_text(encoding="utf-8")
    table = card.split("### The recipe over 2 seeds", 1)[1]
    assert "| seed | dev micro / macro | dev_extra micro / macro | pooled micro / macro |" in table
    micro = [runs["dev"]["tagger"]["micro"]["f1"] for runs in seed_runs.values()]
    mean_row = next(line for line in table.splitlines() if line.startswith("| mean ± sd |"))
    assert mean_row.split(" | ")[1].startswith(f"{np.mean(micro):.3f} ± {np.std(micro):.3f} / ")
    with pytest.raises(ValueError, match="at least one evaluation"):
        write_model_card(model, {}, data_description="", command="")


def test_a_lexical_model_with_no_weight_is_not_run(tiny_bert_dir, data_dir):
    from govnlp.tagging.lexical import LexicalModel, lexical_documents

    tagger = train(data_dir / "train.jsonl", tiny_config(tiny_bert_dir, data_dir))
    texts = [text for _, text, _ in ARTICLES]
    titles = [title for title, _, _ in ARTICLES]
    if tagger.lexical is None:  # training kept none (encoder share 1): give it one to skip
        targets = np.array(
            [
                [t in labels for t in ("environment", "economy", "health")]
                for _, _, labels in ARTICLES
            ],
            dtype=np.float32,
        )
        tagger.lexical = LexicalModel(max_features=100).fit(
            lexical_documents(texts, titles), targets
        )
    assert tagger.lexical is not None or tagger.config.lexical_weight is None
    tagger.config.lexical_weight = 1.0
    assert tagger.lexical_proba(texts, titles) is None
    encoder_only = tagger.probabilities(tagger.logits(texts, titles))
    np.testing.assert_allclose(tagger.predict_proba(texts, titles), encoder_only, atol=1e-6)


def test_cli_stores_a_relative_base_model_as_absolute(
    tiny_bert_dir, data_dir, tmp_path, monkeypatch
):
    config = tiny_config(tiny_bert_dir, data_dir).__dict__
    (tmp_path / "recipe.json").write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.chdir(tiny_bert_dir.parent)
    model = tmp_path / "model"
    args = ["train", str(data_dir / "train.jsonl"), "--output", str(model)]
    args += ["--config", str(tmp_path / "recipe.json"), "--base-model", tiny_bert_dir.name]
    assert main(args) == 0
    saved = json.loads((model / "config.json").read_text(encoding="utf-8"))
    assert saved["base_model"] == str(tiny_bert_dir.resolve())
    assert saved["training_config"]["base_model"] == str(tiny_bert_dir.resolve())
    monkeypatch.chdir(tmp_path)
    assert Tagger.from_pretrained(model).predict_proba(["县里新建了污水处理厂。"]).shape == (1, 3)
