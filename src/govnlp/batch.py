"""Batch tagging of files: the engine behind ``govnlp tag``.

Reading never stops at a bad record: every input record yields exactly one output record, with
``status`` ``ok`` or an error code and a message. Output is flushed record by record, so a killed
run keeps what it wrote, and ``resume=True`` skips the records already in the output file.

Status codes: ``ok``; ``empty`` (no text); ``bad_json`` (a JSONL line that is not a JSON object);
``missing_field`` (no text field); ``bad_encoding`` (neither UTF-8 nor GB18030); ``binary`` (not
text at all); ``read_error`` (the file could not be read); ``failed`` (the model raised).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .analysis import analyze_many, load_tagger

__all__ = ["CSV_COLUMNS", "Record", "decode_bytes", "read_records", "tag_files"]

logger = logging.getLogger(__name__)

CSV_COLUMNS = (
    "id",
    "status",
    "error",
    "theme_ids",
    "theme_names",
    "theme_scores",
    "title",
    "byline",
    "kind",
    "summary",
    "evidence",
)
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}


@dataclass
class Record:
    """One input record on its way through ``govnlp tag``."""

    id: str
    text: str | None = None
    title: str | None = None
    status: str = "ok"
    error: str = ""
    byline: str = ""
    kind: str = ""


def decode_bytes(raw: bytes) -> tuple[str | None, str, str]:
    """Decode file bytes as UTF-8 or GB18030 and reject binary data.

    Returns:
        ``(text, status, error)``: status is ``ok``, ``binary`` or ``bad_encoding``.

    >>> decode_bytes("县里开会。".encode("gb18030"))
    ('县里开会。', 'ok', '')
    >>> decode_bytes(bytes(range(256)))[1]
    'binary'
    """
    head = raw[:65536]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    if b"\x00" in head or (head and controls / len(head) > 0.05):
        return None, "binary", "binary data, not text"
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), "ok", ""
        except UnicodeDecodeError:
            continue
    return None, "bad_encoding", "neither UTF-8 nor GB18030/GBK text"


def _text_record(record_id: str, text: str | None, title=None, status="ok", error="") -> Record:
    if status == "ok" and (text is None or not text.strip()):
        return Record(record_id, text, title, "empty", "no text")
    return Record(record_id, text, title, status, error)


def _field(value) -> str | None:
    return value if isinstance(value, str) else (None if value is None else str(value))


def _structured_records(
    name: str,
    rows: Iterable[tuple[int, dict | None, str]],
    text_field: str,
    title_field: str,
    id_field: str,
) -> Iterator[Record]:
    for number, row, error in rows:
        fallback = f"{name}:{number}"
        if row is None:
            yield Record(fallback, status="bad_json", error=error)
            continue
        record_id = _field(row.get(id_field)) or fallback
        if text_field not in row or row[text_field] is None:
            yield Record(record_id, status="missing_field", error=f"no {text_field!r} field")
            continue
        yield _text_record(record_id, _field(row[text_field]), _field(row.get(title_field)))


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict | None, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number}: not JSON ({exc.msg})"
            continue
        if not isinstance(row, dict):
            yield number, None, f"line {number}: not a JSON object"
            continue
        yield number, row, ""


def _csv_rows(text: str) -> Iterator[tuple[int, dict | None, str]]:
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        yield reader.line_num, row, ""


def _page_records(record_id: str, text: str) -> Iterator[Record]:
    from .pages import split_page

    items = split_page(text)
    if not items:
        yield Record(record_id, text, status="empty", error="no text")
    for number, item in enumerate(items, start=1):
        yield Record(
            f"{record_id}#{number}",
            item.text,
            item.title or None,
            byline=item.byline,
            kind=item.kind,
        )


def _file_records(
    name: str, raw: bytes, options: dict, *, structured: str | None
) -> Iterator[Record]:
    text, status, error = decode_bytes(raw)
    if text is None:
        yield Record(name, status=status, error=f"{name}: {error}")
        return
    fields = (options["text_field"], options["title_field"], options["id_field"])
    if structured == "jsonl":
        yield from _structured_records(name, _jsonl_rows(text), *fields)
    elif structured == "csv":
        yield from _structured_records(name, _csv_rows(text), *fields)
    elif options["pages"]:
        yield from _page_records(name, text)
    else:
        yield _text_record(name, text)


def read_records(
    inputs: Sequence[str | Path],
    *,
    text_field: str = "text",
    title_field: str = "title",
    id_field: str = "id",
    pages: bool = False,
) -> Iterator[Record]:
    """Records from text files, directories (``*.txt``, recursively), JSONL, CSV or ``-`` (stdin).

    Stdin holds JSONL when its first non-blank character is ``{``, otherwise one article.
    With ``pages=True`` each text file is a page dump and yields one record per item.
    """
    options = {
        "text_field": text_field,
        "title_field": title_field,
        "id_field": id_field,
        "pages": pages,
    }
    for given in inputs:
        if str(given) == "-":
            raw = sys.stdin.buffer.read()
            structured = "jsonl" if raw.lstrip()[:1] == b"{" else None
            yield from _file_records("stdin", raw, options, structured=structured)
            continue
        path = Path(given)
        files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
        for file in files:
            name = str(file.relative_to(path)) if path.is_dir() else str(file)
            suffix = file.suffix.lower()
            structured = (
                "jsonl" if suffix in JSONL_SUFFIXES else "csv" if suffix in CSV_SUFFIXES else None
            )
            try:
                raw = file.read_bytes()
            except OSError as exc:
                yield Record(name, status="read_error", error=f"{name}: {exc.strerror or exc}")
                continue
            yield from _file_records(name, raw, options, structured=structured)


def _output_dict(record: Record, analysis, *, summary: bool, evidence: bool) -> dict:
    out: dict = {"id": record.id, "status": record.status, "error": record.error}
    out["themes"] = [theme.to_dict() for theme in analysis.themes] if analysis else []
    if record.title is not None:
        out["title"] = record.title
    if record.kind:
        out["byline"] = record.byline
        out["kind"] = record.kind
    if summary:
        out["summary"] = analysis.summary if analysis else []
    if evidence:
        out["evidence"] = analysis.evidence if analysis else {}
    return out


def _csv_row(out: dict) -> dict:
    themes = out["themes"]
    return {
        "id": out["id"],
        "status": out["status"],
        "error": out["error"],
        "theme_ids": ";".join(t["id"] for t in themes),
        "theme_names": ";".join(t["name"] for t in themes),
        "theme_scores": ";".join(f"{t['score']:.4f}" for t in themes),
        "title": out.get("title") or "",
        "byline": out.get("byline", ""),
        "kind": out.get("kind", ""),
        "summary": "\n".join(out.get("summary", [])),
        "evidence": "\n".join(f"{k}: {v}" for k, v in out.get("evidence", {}).items()),
    }


def _done_ids(output: Path, output_format: str) -> Counter:
    """Ids already written to ``output``; a torn last line from a killed run is cut off."""
    done: Counter = Counter()
    if not output.exists() or output.stat().st_size == 0:
        return done
    raw = output.read_bytes()
    complete = raw[: raw.rfind(b"\n") + 1]
    if len(complete) != len(raw):
        with output.open("r+b") as handle:
            handle.truncate(len(complete))
    text = complete.decode("utf-8")
    if output_format == "csv":
        for row in csv.DictReader(io.StringIO(text)):
            done[row["id"]] += 1
    else:
        for line in text.splitlines():
            if line.strip():
                done[json.loads(line)["id"]] += 1
    return done


def tag_files(
    inputs: Sequence[str | Path],
    *,
    output: str | Path | None = None,
    output_format: str = "jsonl",
    model: str | Path | None = None,
    threshold: float | None = None,
    top_k: int | None = None,
    summary: float = 0,
    evidence: bool = False,
    pages: bool = False,
    text_field: str = "text",
    title_field: str = "title",
    id_field: str = "id",
    batch_size: int = 32,
    chunk_size: int = 64,
    resume: bool = False,
    progress: bool | None = None,
    quantize: bool | None = None,
) -> Counter:
    """Tag every record of ``inputs`` and write one output record per input record.

    Args:
        inputs: Files, directories or ``-`` (see :func:`read_records`).
        output: Output file (JSONL or CSV); None writes JSONL/CSV to stdout.
        output_format: ``"jsonl"`` or ``"csv"``.
        model: Tagger directory; None = the built-in model.
        threshold: One cut-off for all themes instead of the tuned thresholds.
        top_k: At most this many themes per record.
        summary: Summary sentences per record (0 = no summary).
        evidence: Add the sentence that best supports each theme.
        pages: Treat text files as page dumps, one record per item.
        text_field: Text field of JSONL/CSV records.
        title_field: Title field of JSONL/CSV records.
        id_field: Id field of JSONL/CSV records.
        batch_size: Windows per forward pass.
        chunk_size: Records scored together (and flushed together).
        resume: Skip records whose ids are already in ``output``.
        progress: Show a progress bar; None = only when stderr is a terminal.
        quantize: int8-quantise the model (None = the measured default, see :func:`load_tagger`).

    Returns:
        Counts of output records per status (resumed records count as ``ok``).

    >>> tag_files(["news/"], output="themes.jsonl", resume=True)  # doctest: +SKIP
    Counter({'ok': 1200, 'empty': 2})
    """
    if output_format not in {"jsonl", "csv"}:
        raise ValueError(f"unknown output format {output_format!r} (jsonl, csv)")
    for given in inputs:
        if str(given) != "-" and not Path(given).exists():
            raise FileNotFoundError(f"{given}: no such file or directory")
    tagger = load_tagger(model, quantize=quantize)
    counts: Counter = Counter()
    done = _done_ids(Path(output), output_format) if output and resume else Counter()
    if done:
        counts["ok"] += sum(done.values())
        logger.info("resuming: %d records already in %s", sum(done.values()), output)
    if output is not None:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
    append = bool(output and resume and Path(output).exists())
    handle = (
        open(output, "a" if append else "w", encoding="utf-8", newline="")  # noqa: SIM115
        if output
        else sys.stdout
    )
    writer = None
    if output_format == "csv":
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        if not (append and Path(output).stat().st_size > 0):
            writer.writeheader()
    bar = tqdm(
        unit="article",
        desc="tag",
        disable=not (progress or (progress is None and sys.stderr.isatty())),
    )

    def write(records: list[Record], analyses: list) -> None:
        for record, analysis in zip(records, analyses):
            out = _output_dict(record, analysis, summary=bool(summary), evidence=evidence)
            if writer is not None:
                writer.writerow(_csv_row(out))
            else:
                handle.write(json.dumps(out, ensure_ascii=False) + "\n")
            counts[record.status] += 1
        handle.flush()
        bar.update(len(records))

    analyse_texts = functools.partial(
        analyze_many,
        model=tagger,
        threshold=threshold,
        top_k=top_k,
        summary=summary,
        evidence=evidence,
        batch_size=batch_size,
    )

    def analyse(records: list[Record]) -> list:
        todo = [r for r in records if r.status == "ok"]
        results: dict[int, object] = {}
        try:
            found = analyse_texts(
                [r.text for r in todo], [r.title for r in todo], chunk_size=len(todo) or 1
            )
            results = {id(r): a for r, a in zip(todo, list(found))}
        except Exception:  # one bad article must not sink its chunk: retry one by one
            for record in todo:
                try:
                    results[id(record)] = next(analyse_texts([record.text], [record.title]))
                except Exception as exc:
                    logger.exception("record %s failed", record.id)
                    record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"
        return [results.get(id(r)) for r in records]

    try:
        chunk: list[Record] = []
        for record in read_records(
            inputs, text_field=text_field, title_field=title_field, id_field=id_field, pages=pages
        ):
            if done[record.id] > 0:
                done[record.id] -= 1
                continue
            chunk.append(record)
            if len(chunk) == chunk_size:
                write(chunk, analyse(chunk))
                chunk = []
        if chunk:
            write(chunk, analyse(chunk))
    finally:
        bar.close()
        if output:
            handle.close()
    return counts
