"""Evaluation beside tagging: pure metrics (:mod:`.metrics`), the evaluation workflow with the
TF-IDF baseline (:mod:`.evaluate`), its files and plots (:mod:`.report`, the ``eval`` extra) and
the model card (:mod:`.model_card`).

This package imports none of its modules eagerly: :mod:`govnlp.tagging` uses the metrics, and
the workflow uses the tagger.
"""
