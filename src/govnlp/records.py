"""Input records for every command, and one writer for their outputs.

:func:`read_records` turns text files, directories of ``.txt`` files, JSONL / ``.ndjson`` and CSV
files, or ``-`` (stdin) into :class:`Record` objects, decoding UTF-8 or GB18030/GBK. Reading never
stops at a bad input: a missing path, a binary file, an undecodable one, a broken JSON line or a
record without text is a record too, with a ``status`` and an ``error`` message, so every command
gives one output record per input record.

Status codes: ``ok``; ``empty`` (no text); ``bad_json`` (a JSONL line that is not a JSON object);
``missing_field`` (no text field); ``bad_encoding`` (neither UTF-8 nor GB18030); ``binary`` (not
text at all); ``not_found`` (no such file or directory); ``read_error`` (the file could not be
read); ``failed`` (set by a command when its model raised on the record).

:class:`RecordWriter` writes JSONL or CSV, flushes after every batch and, with ``resume=True``,
reads the ids already in the output file (cutting off a torn last line) so that a killed run
finishes with exactly one record per input.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Fields",
    "Record",
    "RecordWriter",
    "chunked",
    "decode_bytes",
    "read_records",
    "read_rows",
]

JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}


@dataclass(frozen=True)
class Fields:
    """Names of the text, title and id fields of JSONL and CSV records."""

    text: str = "text"
    title: str = "title"
    id: str = "id"


@dataclass
class Record:
    """One input record.

    Attributes:
        id: The record's own id, else the file name (``file:line`` for JSONL/CSV rows,
            ``file#n`` for page items, ``stdin`` for standard input).
        text: The text, ``None`` when it could not be read.
        title: The title, if the record has one.
        status: ``ok`` or an error code (see the module docstring).
        error: What went wrong, ``""`` when nothing did.
        fields: The JSONL/CSV record as read (empty for text files).
        byline: Author names of a page item.
        kind: The page item's kind (``article``, ``photo``, ``fragment``); ``""`` otherwise.
    """

    id: str
    text: str | None = None
    title: str | None = None
    status: str = "ok"
    error: str = ""
    fields: dict = field(default_factory=dict)
    byline: str = ""
    kind: str = ""


def chunked(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """Lists of at most ``size`` records, consumed lazily (``itertools.batched`` of Python 3.12).

    >>> [len(chunk) for chunk in chunked([Record(str(i)) for i in range(5)], 2)]
    [2, 2, 1]
    """
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


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


def _text_record(record_id: str, text: str | None, title=None, fields=None) -> Record:
    if text is None or not text.strip():
        return Record(record_id, text, title, "empty", "no text", fields or {})
    return Record(record_id, text, title, fields=fields or {})


def _string(value) -> str | None:
    return value if isinstance(value, str) else (None if value is None else str(value))


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict | None, str]]:
    # Lines end at "\n" only: JSON strings may hold U+2028 and other characters that
    # str.splitlines() would also break at.
    for number, line in enumerate(text.split("\n"), start=1):
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


def _structured_records(
    name: str, rows: Iterable[tuple[int, dict | None, str]], fields: Fields
) -> Iterator[Record]:
    for number, row, error in rows:
        fallback = f"{name}:{number}"
        if row is None:
            yield Record(fallback, status="bad_json", error=error)
            continue
        record_id = _string(row.get(fields.id)) or fallback
        if row.get(fields.text) is None:
            yield Record(
                record_id, status="missing_field", error=f"no {fields.text!r} field", fields=row
            )
            continue
        yield _text_record(
            record_id, _string(row[fields.text]), _string(row.get(fields.title)), row
        )


def _page_records(name: str, text: str) -> Iterator[Record]:
    """One record per item of a page dump (a text with at least one non-blank line)."""
    from .pages import split_page

    for number, item in enumerate(split_page(text), start=1):
        yield Record(
            f"{name}#{number}", item.text, item.title or None, byline=item.byline, kind=item.kind
        )


def _file_records(
    name: str, raw: bytes, kind: str | None, fields: Fields, pages: bool
) -> Iterator[Record]:
    text, status, error = decode_bytes(raw)
    if text is None:
        yield Record(name, status=status, error=f"{name}: {error}")
    elif kind == "jsonl":
        yield from _structured_records(name, _jsonl_rows(text), fields)
    elif kind == "csv":
        yield from _structured_records(name, _csv_rows(text), fields)
    elif pages and text.strip():
        yield from _page_records(name, text)
    else:
        yield _text_record(name, text)


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return "jsonl" if suffix in JSONL_SUFFIXES else "csv" if suffix in CSV_SUFFIXES else None


def _records_of(given: str | Path, fields: Fields, pages: bool) -> Iterator[Record]:
    if str(given) == "-":
        raw = sys.stdin.buffer.read()
        kind = "jsonl" if raw.lstrip()[:1] == b"{" else None
        yield from _file_records("stdin", raw, kind, fields, pages)
        return
    path = Path(given)
    if not path.exists():
        yield Record(str(path), status="not_found", error=f"{path}: no such file or directory")
        return
    files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
    for file in files:
        name = str(file.relative_to(path)) if path.is_dir() else str(file)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            yield Record(name, status="read_error", error=f"{name}: {exc.strerror or exc}")
            continue
        yield from _file_records(name, raw, _kind(file), fields, pages)


def read_records(
    inputs: Sequence[str | Path], fields: Fields | None = None, *, pages: bool = False
) -> Iterator[Record]:
    """Records from text files, directories (``*.txt``, recursively), JSONL, CSV or ``-`` (stdin).

    Stdin holds JSONL when its first non-blank character is ``{``, otherwise one text. With
    ``pages=True`` each text file (not a JSONL/CSV record) is a page dump and yields one record
    per item (:func:`split_page`).

    >>> [(r.id, r.status) for r in read_records(["no/such/file.txt"])]
    [('no/such/file.txt', 'not_found')]
    """
    fields = fields or Fields()
    for given in inputs:
        yield from _records_of(given, fields, pages)


def read_rows(path: str | Path) -> Iterator[tuple[int, dict | None, str]]:
    """``(line, row, error)`` of each row of a JSONL or CSV file (``.csv``: CSV, else JSONL);
    ``row`` is ``None`` for a JSONL line that is not a JSON object.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file is binary or neither UTF-8 nor GB18030 text.
    """
    path = Path(path)
    text, _, error = decode_bytes(path.read_bytes())
    if text is None:
        raise ValueError(f"{path}: {error}")
    yield from (_csv_rows if _kind(path) == "csv" else _jsonl_rows)(text)


class RecordWriter:
    """Write output records as JSONL or CSV, one batch at a time, optionally resuming.

    Args:
        output: The output file; ``None`` writes to stdout.
        output_format: ``"jsonl"`` or ``"csv"``.
        columns: The CSV columns (rows are written with these keys; required for CSV).
        resume: Keep what ``output`` holds and skip the ids already in it (:meth:`pending`).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "out.jsonl")
    >>> with RecordWriter(path) as writer:
    ...     writer.write([{"id": "a", "status": "ok"}])
    >>> with RecordWriter(path, resume=True) as writer:
    ...     [r.id for r in writer.pending([Record("a"), Record("b")])]
    ['b']
    """

    def __init__(
        self,
        output: str | Path | None,
        output_format: str = "jsonl",
        *,
        columns: Sequence[str] | None = None,
        resume: bool = False,
    ) -> None:
        if output_format not in {"jsonl", "csv"}:
            raise ValueError(f"unknown output format {output_format!r} (jsonl, csv)")
        if output_format == "csv" and not columns:
            raise ValueError("CSV output needs its columns")
        self.output = Path(output) if output is not None else None
        self.output_format = output_format
        self.columns = list(columns or [])
        self.resume = resume and self.output is not None
        self.done: Counter = self._done_ids() if self.resume else Counter()
        self._handle = None
        self._csv = None

    def __enter__(self) -> RecordWriter:
        if self.output is None:
            self._handle = sys.stdout
        else:
            self.output.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.output.open(
                "a" if self.resume else "w", encoding="utf-8", newline=""
            )
        if self.output_format == "csv":
            self._csv = csv.DictWriter(self._handle, fieldnames=self.columns, lineterminator="\n")
            if not (self.resume and self.output.stat().st_size > 0):
                self._csv.writeheader()
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None and self.output is not None:
            self._handle.close()
        self._handle = None

    def _done_ids(self) -> Counter:
        """Ids already written; a torn last line from a killed run is cut off."""
        done: Counter = Counter()
        if not self.output.exists() or self.output.stat().st_size == 0:
            return done
        raw = self.output.read_bytes()
        complete = raw[: raw.rfind(b"\n") + 1]
        if len(complete) != len(raw):
            with self.output.open("r+b") as handle:
                handle.truncate(len(complete))
        text = complete.decode("utf-8")
        if self.output_format == "csv":
            for row in csv.DictReader(io.StringIO(text)):
                done[row["id"]] += 1
        else:
            for line in text.splitlines():
                if line.strip():
                    done[json.loads(line)["id"]] += 1
        return done

    def pending(self, records: Iterable[Record]) -> Iterator[Record]:
        """The records whose ids are not yet in the output (each written id skips one record)."""
        for record in records:
            if self.done[record.id] > 0:
                self.done[record.id] -= 1
                continue
            yield record

    def write(self, rows: Iterable[dict]) -> None:
        """Write output records and flush them."""
        for row in rows:
            if self._csv is not None:
                self._csv.writerow({column: row.get(column, "") for column in self.columns})
            else:
                self._handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._handle.flush()
