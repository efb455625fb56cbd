"""Tag with Ray Data: on a laptop (a local Ray) or an existing cluster (``RAY_ADDRESS``).

Two ways in:

- :class:`TagBatch`, a callable class for ``ray.data.Dataset.map_batches``: each actor loads the
  tagger once and adds ``status``, ``error``, ``themes`` (and ``summary`` / ``evidence``) columns
  to the batches it gets. Use it on datasets read with Ray's own readers
  (``ray.data.read_json``, ``read_parquet``...), where the data never passes through one machine.
- :class:`RayEngine`, the engine of ``govnlp tag --engine ray``: the same inputs as the local
  path (files, directories, JSONL, CSV, with every bad input a record with its status), read on
  the driver, tagged by ``workers`` actors, written in input order by the same writer.

The ``ray`` extra installs Ray Data: ``pip install 'govnlp[ray]'``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..analysis import Analysis, AnalysisOptions
from ..batch import analyse_records
from ..records import Fields, Record, chunked
from ..tagging.loading import load_tagger
from ..tagging.tagger import Tagger, Theme

__all__ = ["RayEngine", "TagBatch", "tag_ray_dataset"]

logger = logging.getLogger(__name__)


def require_ray():
    """The ``ray`` module, or an ImportError that says which extra to install."""
    try:
        import ray
        import ray.data  # Ray Data is the part govnlp uses; it needs pyarrow and pandas
    except ImportError:
        raise ImportError("the Ray engine needs Ray Data: pip install 'govnlp[ray]'") from None
    return ray


def _output_schema(options: AnalysisOptions):
    """Arrow types of the columns :class:`TagBatch` adds (fixed, so empty batches concatenate)."""
    import pyarrow as pa

    theme = pa.struct([("id", pa.string()), ("name", pa.string()), ("score", pa.float64())])
    columns = [
        ("status", pa.string()),
        ("error", pa.string()),
        ("themes", pa.list_(theme)),
    ]
    if options.summary:
        columns.append(("summary", pa.list_(pa.string())))
    if options.evidence:
        evidence = pa.struct([("theme", pa.string()), ("sentence", pa.string())])
        columns.append(("evidence", pa.list_(evidence)))
    return columns


def _as_table(batch):
    """A batch in any of Ray's formats (Arrow, pandas, dict of NumPy arrays) as an Arrow table."""
    import pyarrow as pa

    if isinstance(batch, pa.Table):
        return batch
    if isinstance(batch, dict):
        return pa.table({name: list(values) for name, values in batch.items()})
    return pa.Table.from_pandas(batch, preserve_index=False)


class TagBatch:
    """Callable class for ``Dataset.map_batches``: the tagger is loaded once per actor.

    Each batch comes back with its columns and ``status`` (``ok``, ``empty``, ``missing_field``,
    ``failed``, or the status an input ``status`` column already had), ``error`` and ``themes``
    (a list of ``{"id", "name", "score"}``), plus ``summary`` (a list of sentences) and
    ``evidence`` (a list of ``{"theme", "sentence"}``) when ``options`` ask for them. A record
    whose analysis raises is ``failed`` alone; the rest of its batch is tagged.

    Args:
        model: A tagger directory readable on every node, a :class:`Tagger` (shipped to the
            actors by Ray: no shared file system needed), or ``None`` for the built-in model.
        options: What to compute (:class:`AnalysisOptions`; default: themes only).
        fields: The text and title columns.
        device: ``"auto"``: CUDA on actors given ``num_gpus``, else the CPU.
        quantize: int8 dynamic quantisation (CPU only).

    >>> import ray  # doctest: +SKIP
    >>> ds = ray.data.read_json("articles.jsonl")  # doctest: +SKIP
    >>> tagged = ds.map_batches(TagBatch, concurrency=2, batch_size=64)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Tagger | str | Path | None = None,
        *,
        options: AnalysisOptions | None = None,
        fields: Fields | None = None,
        device: str = "auto",
        quantize: bool = False,
    ):
        self.tagger = load_tagger(model, quantize=quantize, device=device)
        self.options = options or AnalysisOptions(summary=0, evidence=False)
        self.fields = fields or Fields()

    def records(self, table) -> list[Record]:
        """The batch's rows as records; rows without text get their status here."""
        n = table.num_rows
        column = table.column_names.__contains__
        texts = table.column(self.fields.text).to_pylist() if column(self.fields.text) else None
        titles = table.column(self.fields.title).to_pylist() if column(self.fields.title) else None
        ids = table.column(self.fields.id).to_pylist() if column(self.fields.id) else range(n)
        statuses = table.column("status").to_pylist() if column("status") else ["ok"] * n
        errors = table.column("error").to_pylist() if column("error") else [""] * n
        records = []
        for i in range(n):
            text = texts[i] if texts is not None else None
            title = titles[i] if titles is not None else None
            record = Record(str(ids[i]), text, title, statuses[i] or "ok", errors[i] or "")
            if record.status == "ok" and texts is None:
                record.status, record.error = "missing_field", f"no {self.fields.text!r} column"
            elif record.status == "ok" and not (isinstance(text, str) and text.strip()):
                record.status, record.error = "empty", "no text"
            records.append(record)
        return records

    def __call__(self, batch):
        import pyarrow as pa

        table = _as_table(batch)
        records = self.records(table)
        analyses = analyse_records(records, self.tagger, self.options)
        values = {
            "status": [r.status for r in records],
            "error": [r.error for r in records],
            "themes": [[t.to_dict() for t in a.themes] if a else [] for a in analyses],
            "summary": [a.summary if a else [] for a in analyses],
            "evidence": [
                [{"theme": k, "sentence": v} for k, v in a.evidence.items()] if a else []
                for a in analyses
            ],
        }
        for name, kind in _output_schema(self.options):
            array = pa.array(values[name], type=kind)
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, array)
            else:
                table = table.append_column(name, array)
        return table


def tag_ray_dataset(
    dataset,
    model: Tagger | str | Path | None = None,
    *,
    options: AnalysisOptions | None = None,
    fields: Fields | None = None,
    workers: int = 1,
    num_gpus: float = 0,
    cpus_per_worker: float = 1,
    batch_size: int = 64,
    quantize: bool = False,
):
    """``dataset.map_batches(TagBatch, ...)`` with ``workers`` actors: a lazy Ray Dataset.

    Args:
        dataset: A ``ray.data.Dataset`` with a text column (and optionally title and id).
        model: As for :class:`TagBatch`.
        options: What to compute (default: themes only).
        fields: The text, title and id columns.
        workers: Actors (``concurrency``), each holding one tagger.
        num_gpus: GPUs per actor (0: the CPU; 1: each actor tags on its own GPU in float16).
        cpus_per_worker: CPUs per actor (its torch threads).
        batch_size: Articles per batch.
        quantize: int8 dynamic quantisation (CPU only).
    """
    ray = require_ray()
    return dataset.map_batches(
        TagBatch,
        fn_constructor_kwargs={
            "model": model,
            "options": options,
            "fields": fields,
            "device": "cuda" if num_gpus else "cpu",
            "quantize": quantize,
        },
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_gpus=num_gpus or None,
        num_cpus=cpus_per_worker,
    )


def _analysis(row: dict) -> Analysis | None:
    """The analysis a :class:`TagBatch` row carries (``None`` for a record it did not tag)."""
    if row["status"] != "ok":
        return None
    return Analysis(
        themes=[Theme(**theme) for theme in row["themes"]],
        summary=row.get("summary") or [],
        evidence={item["theme"]: item["sentence"] for item in row.get("evidence") or []},
    )


def _blocks(records: list[Record], size: int) -> list:
    """The records as Arrow tables of ``size`` rows, one Ray block each.

    Blocks as long as the batches make every batch hold the records of one local chunk, so
    the windows share forward passes as in the single-process path and scores match it.
    """
    import pyarrow as pa

    schema = pa.schema(
        [
            ("row", pa.int64()),
            ("text", pa.string()),
            ("title", pa.string()),
            ("status", pa.string()),
        ]
    )
    rows = [
        {"row": i, "text": r.text or "", "title": r.title, "status": r.status}
        for i, r in enumerate(records)
    ]
    return [
        pa.Table.from_pylist(rows[begin : begin + size], schema=schema)
        for begin in range(0, len(rows), size)
    ]


@dataclass(frozen=True)
class RayEngine:
    """Tag with Ray Data actors: ``govnlp tag --engine ray`` (see :func:`govnlp.batch.tag_files`).

    Records are read on the driver (every bad input keeps its status there), sent to the
    cluster ``wave`` records at a time (so the driver never holds a whole archive), tagged by
    ``workers`` :class:`TagBatch` actors and streamed back in input order.

    Attributes:
        workers: Tagging actors.
        num_gpus: GPUs per actor (0: CPU actors).
        cpus_per_worker: CPUs per actor.
        address: A Ray cluster to join; ``None`` joins ``RAY_ADDRESS`` when it is set and
            otherwise starts a local Ray (the Ray already running in this process, if any).
        quantize: int8 dynamic quantisation (CPU only).
        wave: Records per Ray dataset; each wave starts its actors anew.

    >>> from govnlp.batch import tag_files
    >>> tag_files(["examples/articles.jsonl"], "out.jsonl",
    ...           engine=RayEngine(workers=2))  # doctest: +SKIP
    Counter({'ok': 2, 'empty': 1})
    """

    workers: int = 2
    num_gpus: float = 0
    cpus_per_worker: float = 1
    address: str | None = None
    quantize: bool = False
    wave: int = 20_000

    def start(self):
        """Join or start Ray (quietly unless logging is at INFO) and keep outputs in order."""
        ray = require_ray()
        verbose = logger.isEnabledFor(logging.INFO)
        if not verbose:  # Ray Data logs every execution plan; -v shows them
            logging.getLogger("ray.data").setLevel(logging.ERROR)
        if not ray.is_initialized():
            ray.init(
                address=self.address,
                include_dashboard=False,
                log_to_driver=verbose,
                logging_level=logging.INFO if verbose else logging.ERROR,
            )
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = verbose
        return ray

    def run(
        self, records: Iterable[Record], model: Tagger | str | Path | None, options: AnalysisOptions
    ) -> Iterator[tuple[list[Record], list[Analysis | None]]]:
        ray = self.start()
        if model is not None and not isinstance(model, Tagger):
            model = str(Path(model).resolve())
        for wave in chunked(records, self.wave):
            tagged = tag_ray_dataset(
                ray.data.from_arrow(_blocks(wave, options.articles_per_chunk)),
                model,
                options=options,
                fields=Fields(id="row"),
                workers=self.workers,
                num_gpus=self.num_gpus,
                cpus_per_worker=self.cpus_per_worker,
                batch_size=options.articles_per_chunk,
                quantize=self.quantize,
            ).drop_columns(["text", "title"])
            done = 0
            for batch in tagged.iter_batches(batch_size=None, batch_format="pyarrow"):
                out = batch.to_pylist()
                chunk = wave[done : done + len(out)]
                if [row["row"] for row in out] != list(range(done, done + len(out))):
                    raise RuntimeError("Ray returned records out of order")
                for record, row in zip(chunk, out):
                    if row["status"] != record.status:  # failed on its actor
                        record.status, record.error = row["status"], row["error"]
                yield chunk, [_analysis(row) for row in out]
                done += len(out)
