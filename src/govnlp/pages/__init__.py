"""Raw newspaper pages: split a page dump into items and repair its column breaks.

The modules follow the model: :mod:`.lexicon` (names, bylines, credits), :mod:`.ngrams`
(character n-gram counts of running text), :mod:`.reader` (the break reader, numpy),
:mod:`.features` (hashed line features), :mod:`.model` (:class:`PageModel`, the CRF and its
inputs), :mod:`.split` (:func:`split_page`) and :mod:`.train` (training, the ``train`` extra).

>>> [item.kind for item in split_page("治水见成效\\n张三 李四\\n县里新建了污水处理厂。\\n")]
['article']
"""

from __future__ import annotations

from .model import ROLES, PageModel
from .split import PageItem, Paragraph, split_page, split_paragraphs

__all__ = ["ROLES", "PageItem", "PageModel", "Paragraph", "split_page", "split_paragraphs"]
