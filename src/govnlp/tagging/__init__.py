"""Theme tagging: the :class:`Tagger`, its configuration, training and calibration.

:mod:`.config` (:class:`TaggerConfig`, ``config.json``), :mod:`.model` (the network),
:mod:`.windows` (chunks and pooling), :mod:`.lexical` (the character TF-IDF part),
:mod:`.calibration` (temperature, lexical mix, thresholds), :mod:`.tagger` (:class:`Tagger`),
:mod:`.loading` (:func:`load_tagger`),
:mod:`.data` (labelled examples) and :mod:`.trainer` (:class:`TrainingConfig`, :func:`train`).
"""

from __future__ import annotations

from .config import TaggerConfig
from .lexical import LexicalModel
from .loading import load_tagger
from .tagger import Tagger, Theme
from .trainer import TrainingConfig, train

__all__ = [
    "LexicalModel",
    "Tagger",
    "TaggerConfig",
    "Theme",
    "TrainingConfig",
    "load_tagger",
    "train",
]
