"""The taxonomy prior on a tiny random model: the head starts from the labels' descriptions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from govnlp.cli import main
from govnlp.tagging import Tagger, TrainingConfig, train
from govnlp.tagging.prior import SCALE, init_head_from_labels, label_text
from govnlp.taxonomy import Label

LABELS = [
    Label("environment", "生态环境", description="污染防治和河道治理。", keywords=("污水", "环保")),
    Label("economy", "经济发展", description="招商引资和工业园区。", keywords=("企业", "产值")),
    Label("health", "医疗卫生"),  # no description: the name alone
]


@pytest.fixture()
def fresh(tiny_bert_dir) -> Tagger:
    return Tagger.from_base_model(
        str(tiny_bert_dir), LABELS, max_length=32, stride=20, frozen_layers=1, dropout=0.0
    )


def embedded(tagger: Tagger, text: str) -> torch.Tensor:
    ids = torch.tensor([tagger.article_windows(text)[0]])
    mask = torch.ones_like(ids)
    model = tagger.model.eval()
    with torch.no_grad():
        hidden = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        return model.norm(model.pool(hidden, mask))[0]


def test_label_text_reads_name_description_and_keywords():
    assert label_text(LABELS[0]) == "生态环境。污染防治和河道治理。污水、环保"
    assert label_text(LABELS[2]) == "医疗卫生"
    assert label_text(Label("x", "", name_en="Other")) == "Other"


def test_rows_point_at_the_centred_description_embeddings(fresh):
    rate = np.array([0.3, 0.1, 0.0])
    init_head_from_labels(fresh, rate)
    vectors = torch.stack([embedded(fresh, label_text(label)) for label in LABELS])
    centred = vectors - vectors.mean(0)
    weight = fresh.model.classifier.weight.detach()
    cosine = torch.nn.functional.cosine_similarity(weight, centred, dim=1)
    torch.testing.assert_close(cosine, torch.ones(3), atol=1e-5, rtol=0)
    hidden = weight.shape[1]
    torch.testing.assert_close(weight.norm(dim=1), torch.full((3,), SCALE / hidden**0.5))
    # The bias is the log-odds of each theme's training rate; a theme never seen is kept finite.
    expected = torch.sigmoid(fresh.model.classifier.bias.detach()).numpy()
    np.testing.assert_allclose(expected, [0.3, 0.1, 1e-3], rtol=1e-5)
    # Each description scores its own theme above the others (the centring keeps what differs).
    for k, label in enumerate(LABELS):
        similarity = weight @ embedded(fresh, label_text(label))
        assert int(similarity.argmax()) == k


def test_wrong_number_of_rates_is_an_error(fresh):
    with pytest.raises(ValueError, match="2 positive rates for 3 labels"):
        init_head_from_labels(fresh, [0.1, 0.2])


def test_training_with_the_prior_is_recorded_and_differs(tiny_bert_dir, tmp_path):
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_text(
        "id,name_zh,description,keywords\n"
        + "".join(
            f"{label.id},{label.name_zh},{label.description},{';'.join(label.keywords)}\n"
            for label in LABELS
        ),
        encoding="utf-8",
    )
    rows = [
        ("县里新建了污水处理厂，河道水质明显好转。", ["environment"]),
        ("工业园区引进了三家企业，年产值增长。", ["economy"]),
        ("县医院新建了住院楼，看病更方便了。", ["health"]),
        ("今天天气晴。", []),
    ]
    data = tmp_path / "train.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": f"{i}-{n}", "text": text, "labels": labels}, ensure_ascii=False)
            + "\n"
            for i in range(5)
            for n, (text, labels) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    values = dict(
        base_model=str(tiny_bert_dir),
        labels=str(labels_csv),
        max_length=32,
        stride=20,
        frozen_layers=1,
        epochs=1,
        batch_size=4,
        max_steps=1,
        validation_fraction=0.25,
        lexical=False,
    )
    with pytest.warns(UserWarning):
        plain = train(data, TrainingConfig(**values))
        out = tmp_path / "model"
        assert (
            main(
                [
                    "train",
                    str(data),
                    "--output",
                    str(out),
                    "--taxonomy-prior",
                    "--config",
                    str(_write(tmp_path / "c.json", values)),
                ]
            )
            == 0
        )
    with_prior = Tagger.from_pretrained(out)
    assert with_prior.config.training_config["taxonomy_prior"] is True
    assert plain.config.training_config["taxonomy_prior"] is False
    texts = [text for text, _ in rows]
    assert not np.allclose(plain.predict_proba(texts), with_prior.predict_proba(texts), atol=1e-3)


def _write(path, values):
    path.write_text(json.dumps(values), encoding="utf-8")
    return path
