"""The page model: a linear-chain CRF over the roles of a page's lines, with its inputs.

Every non-blank line gets one of :data:`ROLES`; ``join`` means the line continues the line before
it across a column break. A linear-chain conditional random field (Lafferty et al. 2001) scores
role sequences from hashed features of each line and its neighbours (:mod:`.features`) plus
learned scores for each pair of consecutive roles; decoding keeps only sequences that obey the
page grammar (:data:`FOLLOWS`). A :class:`PageModel` holds the CRF weights with the character
n-gram counts and the break reader that its features read, and saves and loads itself as one
safetensors file (no text: 32-bit n-gram hashes and weights).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .features import N_BUCKETS, feature_matrix
from .ngrams import NgramCounts
from .reader import BreakReader

__all__ = ["FOLLOWS", "ROLES", "PageModel", "decode_roles", "default_page_model_path"]

ROLES = ("title", "byline", "caption", "credit", "body", "join")
FOLLOWS = {  # which roles may come right after each role
    None: {"title", "caption", "body"},
    "title": {"byline", "body", "caption"},
    "byline": {"body", "caption"},
    "caption": {"credit"},
    "credit": {"title", "caption", "body"},
    "body": {"title", "caption", "body", "join"},
    "join": {"title", "caption", "body", "join"},
}


def default_page_model_path() -> Path:
    """The page model shipped in the package.

    >>> default_page_model_path().name
    'page_model.safetensors'
    """
    return Path(str(resources.files("govnlp.pages").joinpath("page_model.safetensors")))


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
    start = np.array([0.0 if r in FOLLOWS[None] else -np.inf for r in ROLES])
    allowed = np.array([[0.0 if b in FOLLOWS[a] else -np.inf for b in ROLES] for a in ROLES])
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


@dataclass
class PageModel:
    """The CRF weights and what its features read: n-gram counts and a break reader.

    A model without ``coef`` (only counts and a reader) computes features but cannot predict:
    that is what training builds for the pages of each fold.

    Attributes:
        coef: Role weights of every hashed feature, ``(len(ROLES), N_BUCKETS)``.
        transitions: Scores of consecutive role pairs, ``(len(ROLES), len(ROLES))``.
        join_bias: Added to every line's join score before decoding (below 0: fewer, surer joins).
        ngrams: Character n-gram counts of running text (:class:`NgramCounts`).
        reader: The break reader (:class:`BreakReader`).

    >>> model = PageModel.from_pretrained()
    >>> model.predict_roles(["“智慧河长” 守护碧水", "张三 李四", "全县河道实现巡查全覆盖,嘉", "兴市拓宽了治理思路。"])
    ['title', 'byline', 'body', 'join']
    """

    coef: np.ndarray | None = None
    transitions: np.ndarray | None = None
    join_bias: float = 0.0
    ngrams: NgramCounts | None = None
    reader: BreakReader | None = None

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> PageModel:
        """A model from safetensors arrays (any of CRF weights, n-gram counts, break reader)."""
        return cls(
            coef=arrays["coef"].astype(np.float32) if "coef" in arrays else None,
            transitions=arrays["transitions"].astype(np.float32)
            if "transitions" in arrays
            else None,
            join_bias=float(arrays["join_bias"][0]) if "join_bias" in arrays else 0.0,
            ngrams=NgramCounts(arrays) if "ngram_keys" in arrays else None,
            reader=BreakReader(arrays) if "reader_chars" in arrays else None,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The model as safetensors arrays (CRF weights stored as float16)."""
        arrays: dict[str, np.ndarray] = {}
        if self.ngrams is not None:
            arrays.update(self.ngrams.arrays)
        if self.reader is not None:
            arrays.update(self.reader.arrays)
        if self.coef is not None:
            arrays["coef"] = self.coef.astype(np.float16)
        if self.transitions is not None:
            arrays["transitions"] = self.transitions.astype(np.float32)
        arrays["join_bias"] = np.array([self.join_bias], dtype=np.float32)
        return arrays

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> PageModel:
        """Load a saved model (``None``: the shipped one), once per path and process.

        Raises:
            FileNotFoundError: No such file.
        """
        return _load(str(Path(path).resolve()) if path is not None else None)

    def save_pretrained(self, path: str | Path) -> Path:
        """Write the model as one safetensors file."""
        from safetensors.numpy import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(self.to_arrays(), str(path))
        return path

    def features(self, lines: list[str]):
        """Hashed features of the lines, a CSR matrix ``(n_lines, N_BUCKETS)``."""
        return feature_matrix(lines, self.ngrams, self.reader)

    def role_scores(self, lines: list[str]) -> np.ndarray:
        """Unnormalised scores ``(n_lines, len(ROLES))`` of each line's role, join bias included."""
        if self.coef is None:
            raise ValueError("this page model has no CRF weights (features only)")
        scores = np.asarray(self.features(lines) @ self.coef.T)
        scores[:, ROLES.index("join")] += self.join_bias
        return scores

    def predict_roles(self, lines: list[str]) -> list[str]:
        """Roles of the non-blank lines of a page (see :data:`ROLES`)."""
        return decode_roles(self.role_scores(lines), self.transitions)


@functools.lru_cache(maxsize=4)
def _load(path: str | None) -> PageModel:
    from safetensors.numpy import load_file

    file = path if path is not None else str(default_page_model_path())
    if not Path(file).is_file():
        raise FileNotFoundError(f"{file}: no such page model")
    model = PageModel.from_arrays(load_file(file))
    if model.coef is not None and model.coef.shape[1] != N_BUCKETS:
        raise ValueError(f"{file}: {model.coef.shape[1]} feature buckets, expected {N_BUCKETS}")
    return model
