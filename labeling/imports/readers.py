"""Streaming readers for items files: JSONL, JSON array and CSV.

Each reader takes a binary file object and yields `RawRow`s: the 1-based line where the row
starts, and either the decoded row (a dict shaped like a JSONL row) or a parse error. Nothing is
read into memory beyond one chunk (JSON array) or one line (JSONL, CSV). A `fatal` error means
the reader cannot go on (a JSON array that does not parse any further).
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

FORMATS = ("jsonl", "json", "csv")
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20
#: A JSON array element larger than this is refused (it would otherwise be buffered whole).
MAX_ELEMENT_CHARS = 16 * 1024 * 1024
#: CSV columns with these names are not payload keys.
CSV_RESERVED = ("external_id", "priority", "gold_answer")
#: A CSV column named `key:json` holds JSON text for payload key `key` (a list, an object...).
CSV_JSON_SUFFIX = ":json"


@dataclass(slots=True)
class RawRow:
    line: int
    data: object = None
    error: str | None = None
    fatal: bool = False


def format_from_name(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith(".csv"):
        return "csv"
    return None


def count_lines(f: BinaryIO) -> int:
    """Newlines in the file (fast, chunked), leaving the position at the start."""
    f.seek(0)
    n = 0
    last = b""
    while chunk := f.read(CHUNK):
        n += chunk.count(b"\n")
        last = chunk
    if last and not last.endswith(b"\n"):
        n += 1
    f.seek(0)
    return n


def _encoding_error(line: int) -> RawRow:
    return RawRow(line, error="Invalid UTF-8: the file must be encoded as UTF-8.")


# --- JSONL ----


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed (JSON has no NaN or Infinity).")


_strict_loads = json.JSONDecoder(parse_constant=_refuse_constant).decode


#: 19 digits in a row: maybe an integer beyond 64 bits, which orjson would turn into a float.
_LONG_NUMBER = re.compile(rb"\d{19}")


def loads_line(raw: bytes):
    """One JSONL line. orjson parses the common line five times faster than the standard
    library; a line it refuses (bad JSON, bad UTF-8, a lone surrogate escape) or that may hold
    an integer beyond 64 bits goes to the standard library, which keeps every value exactly and
    words the errors. NaN and Infinity are refused: jsonb cannot hold them."""
    if _LONG_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return _strict_loads(raw.decode("utf-8"))


def read_jsonl(f: BinaryIO) -> Iterator[RawRow]:
    for line_no, raw in enumerate(f, 1):
        if line_no == 1 and raw.startswith(BOM):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            data = loads_line(raw)
        except UnicodeDecodeError:
            yield _encoding_error(line_no)
        except ValueError as exc:
            yield RawRow(line_no, error=f"Invalid JSON: {_json_message(exc)}")
        else:
            yield RawRow(line_no, data)


def _json_message(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


# --- JSON array ----

_WS = re.compile(r"[ \t\n\r]*")


class _Fatal(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message


class _ArrayReader:
    """Parses `[ {...}, {...} ]` incrementally with JSONDecoder.raw_decode over decoded chunks,
    keeping the line number of the current position."""

    def __init__(self, f: BinaryIO, chunk_size: int = CHUNK):
        self.f = f
        self.chunk_size = chunk_size
        self.decoder = json.JSONDecoder()
        self.utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.started = False

    def fill(self) -> bool:
        """Append the next chunk; False at end of file."""
        if self.eof:
            return False
        raw = self.f.read(self.chunk_size)
        if not self.started:
            self.started = True
            if raw.startswith(BOM):
                raw = raw[3:]
        try:
            text = self.utf8.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            bad = exc.object[: exc.start] if isinstance(exc.object, bytes) else b""
            line = self.line + self.buf.count("\n", self.pos) + bad.count(b"\n")
            raise _Fatal(line, _encoding_error(line).error) from None
        if not raw:
            self.eof = True
            return False
        if self.pos > len(self.buf) // 2:
            self.buf = self.buf[self.pos :] + text
            self.pos = 0
        else:
            self.buf += text
        return True

    def advance(self, to: int) -> None:
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def skip_ws(self) -> bool:
        """Skip whitespace; False when the file ends first."""
        while True:
            self.advance(_WS.match(self.buf, self.pos).end())
            if self.pos < len(self.buf):
                return True
            if not self.fill():
                return False

    def value(self):
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > MAX_ELEMENT_CHARS:
                    raise _Fatal(self.line, "Row too large (or malformed JSON).") from None
                if self.fill():
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                raise _Fatal(line, f"Invalid JSON: {exc.msg}") from None
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not isinstance(obj, dict | list | str) and self.fill():
                continue
            return obj, end

    def rows(self) -> Iterator[RawRow]:
        try:
            if not self.skip_ws() or self.buf[self.pos] != "[":
                raise _Fatal(self.line, "A JSON file must hold one array of rows: [ {...}, ... ].")
            self.advance(self.pos + 1)
            expect_value = False  # after "[" a "]" may close an empty array
            while True:
                if not self.skip_ws():
                    raise _Fatal(self.line, "Unexpected end of file: the array is not closed.")
                if self.buf[self.pos] == "]" and not expect_value:
                    self.advance(self.pos + 1)
                    break
                start_line = self.line
                obj, end = self.value()
                self.advance(end)
                yield RawRow(start_line, obj)
                if not self.skip_ws():
                    raise _Fatal(self.line, "Unexpected end of file: the array is not closed.")
                char = self.buf[self.pos]
                if char == ",":
                    self.advance(self.pos + 1)
                    expect_value = True
                elif char == "]":
                    self.advance(self.pos + 1)
                    break
                else:
                    raise _Fatal(self.line, "Invalid JSON: expected ',' or ']' between rows.")
            if self.skip_ws():
                raise _Fatal(self.line, "Invalid JSON: unexpected data after the closing ']'.")
        except _Fatal as exc:
            yield RawRow(exc.line, error=exc.message, fatal=True)


def read_json_array(f: BinaryIO, chunk_size: int = CHUNK) -> Iterator[RawRow]:
    return _ArrayReader(f, chunk_size).rows()


# --- CSV ----


class _Lines:
    """Decodes a binary file line by line for csv.reader, noting lines that are not UTF-8."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.line = 0
        self.bad_lines: list[int] = []

    def __iter__(self):
        for raw in self.f:
            self.line += 1
            if self.line == 1 and raw.startswith(BOM):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_lines.append(self.line)
                yield raw.decode("utf-8", "replace")


def read_csv(f: BinaryIO) -> Iterator[RawRow]:
    """Header row first. Columns: external_id, priority (optional), gold_answer (optional JSON
    text), and the payload: either one `payload` column with JSON text, or one column per payload
    key (string cells; a column named `key:json` holds JSON text for `key`)."""
    lines = _Lines(f)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield RawRow(1, error=f"Invalid CSV header: {exc}", fatal=True)
        return
    if lines.bad_lines:
        yield RawRow(1, error=_encoding_error(1).error, fatal=True)
        return
    header = [h.strip() for h in header]
    problems = []
    if "external_id" not in header:
        problems.append("the header has no external_id column")
    if len(set(header)) != len(header):
        problems.append("the header repeats a column name")
    payload_keys = [h for h in header if h not in CSV_RESERVED]
    json_payload = "payload" in header
    if json_payload and len(payload_keys) > 1:
        problems.append("use either one `payload` column or one column per payload key")
    if not payload_keys:
        problems.append("the header has no payload column")
    if problems:
        yield RawRow(1, error="Invalid CSV header: " + "; ".join(problems) + ".", fatal=True)
        return

    width = len(header)
    prev_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRow(prev_end + 1, error=f"Invalid CSV: {exc}", fatal=True)
            return
        start = prev_end + 1
        prev_end = reader.line_num
        if lines.bad_lines and lines.bad_lines[-1] >= start:
            bad = next(n for n in lines.bad_lines if n >= start)
            lines.bad_lines.clear()
            yield _encoding_error(bad)
            continue
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if len(cells) != width:
            yield RawRow(start, error=f"Expected {width} cells, found {len(cells)}.")
            continue
        yield _csv_row(start, dict(zip(header, cells, strict=True)), json_payload, payload_keys)


def _csv_row(line: int, cells: dict, json_payload: bool, payload_keys: list[str]) -> RawRow:
    row: dict = {"external_id": cells["external_id"]}
    priority = cells.get("priority", "").strip()
    if priority:
        try:
            row["priority"] = int(priority)
        except ValueError:
            return RawRow(line, error="priority: must be an integer.")
    gold = cells.get("gold_answer", "").strip()
    if gold:
        try:
            row["gold_answer"] = json.loads(gold)
        except ValueError as exc:
            return RawRow(line, error=f"gold_answer: invalid JSON: {_json_message(exc)}")
    if json_payload:
        try:
            row["payload"] = json.loads(cells["payload"])
        except ValueError as exc:
            return RawRow(line, error=f"payload: invalid JSON: {_json_message(exc)}")
        return RawRow(line, row)
    payload = {}
    for key in payload_keys:
        value = cells[key]
        if key.endswith(CSV_JSON_SUFFIX):
            name = key[: -len(CSV_JSON_SUFFIX)]
            if not value.strip():
                continue
            try:
                payload[name] = json.loads(value)
            except ValueError as exc:
                return RawRow(line, error=f"{key}: invalid JSON: {_json_message(exc)}")
        else:
            payload[key] = value
    row["payload"] = payload
    return RawRow(line, row)


READERS = {"jsonl": read_jsonl, "json": read_json_array, "csv": read_csv}
