"""Validate an items file completely, then insert it in one COPY: all or nothing.

Pass 1 (`validate_file`) streams the file once: every row is parsed, checked (shape, payload for
the task type, gold answer against the project's response schema, duplicates in the file and
against the project's existing items, in batches), and written as a PostgreSQL COPY text line to
a temporary spool file. It stops after the first 50 errors. Pass 2 (`copy_spool`) runs only when
there was no error, inside the caller's transaction, and streams the spool into `labeling_item`.
Memory: one row at a time plus the set of external ids seen in the file.

On PostgreSQL, into a project without items yet (nothing to check external ids against), the
two passes overlap (`ValidationStream`): the validation runs in a thread and hands its COPY text
over in chunks, while the caller's transaction streams them into the COPY; a bad row aborts the
COPY, so the transaction inserts nothing. Validation (Python) and COPY (PostgreSQL) then each
keep a core busy instead of taking turns.
"""

from __future__ import annotations

import json
import queue
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import orjson
from django.db import connection
from django.db import connections as db_connections
from django.utils import timezone

from core.exceptions import ValidationFailed
from labeling.imports.readers import READERS, RawRow
from labeling.models import Item
from labeling.payloads import payload_errors
from marketplace.models import Project
from marketplace.services import project_validate_response

MAX_ERRORS = 50
BATCH = 5000
EXTERNAL_ID_MAX = 200
ALLOWED_KEYS = frozenset({"external_id", "payload", "gold_answer", "priority"})
COPY_COLUMNS = (
    "project_id",
    "external_id",
    "payload",
    "is_gold",
    "gold_answer",
    "gold_retired",
    "priority",
    "open_slots",
    "submitted_count",
    "import_job_id",
    "created_at",
)
COPY_SQL = f"COPY labeling_item ({', '.join(COPY_COLUMNS)}) FROM STDIN"
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})

Progress = Callable[[int], None]


@dataclass
class ValidationReport:
    rows: int = 0
    items: int = 0
    gold: int = 0
    errors: list[dict] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
SPOOL_ROWS = 2000


def _json_text(value) -> str:
    """Compact JSON text. orjson writes it ten times faster; an integer beyond 64 bits (which
    the standard library parsed) goes to the standard library's encoder."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _encode(value)


def _copy_json(value) -> str:
    text = _json_text(value)
    if "\\" in text:
        if "\\u0000" in text:
            raise ValueError("NUL characters (\\u0000) cannot be stored.")
        text = text.replace("\\", "\\\\")
    return text


class _Validator:
    def __init__(
        self,
        *,
        project: Project,
        job_id: int | None,
        spool: BinaryIO,
        check_existing: bool | None = None,
    ):
        self.project = project
        self.task_type = project.task_type
        self.config = project.task_config or {}
        self.spool = spool
        self.report = ValidationReport()
        self.seen: set[str] = set()
        self.pending: list[tuple[int, str]] = []
        self.buffer: list[str] = []
        self.buffer_lines: list[int] = []
        self.check_payload = payload_errors
        if check_existing is None:
            check_existing = Item.objects.filter(project=project).exists()
        self.check_existing = check_existing
        now = timezone.now().isoformat()
        job = str(job_id) if job_id is not None else "\\N"
        self.prefix = f"{project.pk}\t"
        self.regular_tail = f"\t{project.overlap}\t0\t{job}\t{now}\n"
        self.gold_tail = f"\t0\t0\t{job}\t{now}\n"

    @property
    def full(self) -> bool:
        return len(self.report.errors) >= MAX_ERRORS

    def error(self, line: int, message: str, pointer: str = "") -> None:
        if not self.full:
            self.report.errors.append({"line": line, "field": pointer, "message": message})

    def row(self, raw: RawRow) -> None:
        """Check one row; spool it when it is valid and nothing failed so far."""
        self.report.rows += 1
        data = raw.data
        # Fast path for the common case (a regular item, every field right); anything unusual
        # takes the full path below, which reports every problem of the row.
        if raw.error is None and type(data) is dict and ALLOWED_KEYS.issuperset(data):
            external_id = data.get("external_id")
            payload = data.get("payload")
            priority = data.get("priority")
            if priority is None:
                priority = 0
            if (
                type(external_id) is str
                and 0 < len(external_id) <= EXTERNAL_ID_MAX
                and external_id not in self.seen
                and "\x00" not in external_id
                and external_id.strip()
                and data.get("gold_answer") is None
                and type(priority) is int
                and -32768 <= priority <= 32767
                and type(payload) is dict
                and not self.check_payload(self.task_type, self.config, payload)
            ):
                self.seen.add(external_id)
                if self.check_existing:
                    self.pending.append((raw.line, external_id))
                    if len(self.pending) >= BATCH:
                        self.flush_existing()
                if not self.report.errors:
                    self.spool_row(raw.line, external_id, payload, None, priority)
                return
        self.full_row(raw)

    def spool_row(self, line: int, external_id: str, payload, gold, priority: int) -> None:
        try:
            text = (
                self.prefix
                + external_id.translate(_TEXT_ESCAPES)
                + "\t"
                + _copy_json(payload)
                + ("\tt\t" + _copy_json(gold) if gold is not None else "\tf\t\\N")
                + f"\tf\t{priority}"
                + (self.gold_tail if gold is not None else self.regular_tail)
            )
        except ValueError as exc:
            self.error(line, str(exc), "/payload")
            return
        self.buffer.append(text)
        self.buffer_lines.append(line)
        if gold is not None:
            self.report.gold += 1
        else:
            self.report.items += 1
        if len(self.buffer) >= SPOOL_ROWS:
            self.flush_spool()

    def flush_spool(self) -> None:
        if not self.buffer:
            return
        texts, lines = self.buffer, self.buffer_lines
        self.buffer, self.buffer_lines = [], []
        try:
            self.spool.write("".join(texts).encode("utf-8"))
        except UnicodeEncodeError:
            # A lone surrogate (a "\\ud800" escape in the JSON) in this batch: find its row.
            for text, line in zip(texts, lines, strict=True):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    self.error(line, "Invalid Unicode (a lone surrogate escape).", "/payload")

    def full_row(self, raw: RawRow) -> None:
        if raw.error is not None:
            self.error(raw.line, raw.error)
            return
        data = raw.data
        if not isinstance(data, dict):
            self.error(raw.line, "Each row must be a JSON object.")
            return
        line = raw.line
        bad = False
        unknown = sorted(set(data) - ALLOWED_KEYS)
        if unknown:
            self.error(line, f"Unknown field(s): {', '.join(unknown)}.", "/" + unknown[0])
            bad = True

        external_id = data.get("external_id")
        if external_id is None:
            self.error(line, "Required.", "/external_id")
            bad = True
        elif not isinstance(external_id, str):
            self.error(line, "Must be a string.", "/external_id")
            bad = True
        elif not external_id.strip() or len(external_id) > EXTERNAL_ID_MAX:
            self.error(line, f"Must be 1 to {EXTERNAL_ID_MAX} characters.", "/external_id")
            bad = True
        elif "\x00" in external_id:
            self.error(line, "Must not contain NUL characters.", "/external_id")
            bad = True
        elif external_id in self.seen:
            self.error(line, f"Duplicate external_id {external_id!r} in this file.", "/external_id")
            bad = True
        else:
            self.seen.add(external_id)
            if self.check_existing:
                self.pending.append((line, external_id))
                if len(self.pending) >= BATCH:
                    self.flush_existing()

        priority = data.get("priority", 0)
        if priority is None:
            priority = 0
        if isinstance(priority, bool) or not isinstance(priority, int):
            self.error(line, "Must be an integer.", "/priority")
            bad = True
        elif not -32768 <= priority <= 32767:
            self.error(line, "Must be between -32768 and 32767.", "/priority")
            bad = True

        if "payload" not in data:
            self.error(line, "Required.", "/payload")
            bad = True
        else:
            for pointer, messages in payload_errors(
                self.task_type, self.config, data["payload"]
            ).items():
                self.error(line, " ".join(messages), pointer)
                bad = True

        gold = data.get("gold_answer")
        if gold is not None:
            try:
                project_validate_response(self.project, gold)
            except ValidationFailed as exc:
                for pointer, messages in (exc.fields or {"": [exc.message]}).items():
                    self.error(line, "Gold answer: " + " ".join(messages), "/gold_answer" + pointer)
                bad = True

        if bad or self.report.errors:
            return  # once anything failed nothing will be inserted: stop spooling
        self.spool_row(line, external_id, data["payload"], gold, priority)

    def flush_existing(self) -> None:
        if not self.pending:
            return
        by_id = {eid: line for line, eid in self.pending}
        self.pending = []
        existing = Item.objects.filter(
            project=self.project, external_id__in=list(by_id)
        ).values_list("external_id", flat=True)
        for external_id in sorted(existing, key=by_id.__getitem__):
            self.error(
                by_id[external_id],
                f"external_id {external_id!r} already exists in this project "
                "(re-importing an item is refused).",
                "/external_id",
            )


def validate_file(
    *,
    project: Project,
    f: BinaryIO,
    file_format: str,
    spool: BinaryIO,
    job_id: int | None = None,
    on_progress: Progress | None = None,
    progress_every: int = BATCH,
    check_existing: bool | None = None,
) -> ValidationReport:
    """Pass 1. Writes the COPY text of every valid row to `spool` (binary, seekable).
    `check_existing=False` skips looking up the file's external ids in the project (the caller
    knows it has no items)."""
    validator = _Validator(
        project=project, job_id=job_id, spool=spool, check_existing=check_existing
    )
    report = validator.report
    for raw in READERS[file_format](f):
        validator.row(raw)
        if raw.fatal:
            break
        if validator.full:
            report.stopped_early = True
            break
        if on_progress is not None and report.rows % progress_every == 0:
            on_progress(report.rows)
    if not validator.full:
        validator.flush_existing()
    validator.flush_spool()
    report.errors.sort(key=lambda e: e["line"])
    if not report.errors and report.rows == 0:
        report.errors.append({"line": 1, "field": "", "message": "The file has no rows."})
    if on_progress is not None:
        on_progress(report.rows)
    return report


class ValidationFailedStop(Exception):
    """Raised into the COPY when the overlapped validation found bad rows: nothing is kept."""


class _Stopped(Exception):
    """Raised in the validation thread when the COPY side gave up."""


class ValidationStream:
    """`validate_file` running in a thread, its spool read back while it is being written.

    The thread writes COPY text chunks (SPOOL_ROWS rows each) to a bounded queue; `copy_spool`
    reads them as it would read a spool file. At the end of the file `read` returns b"" when
    every row was valid, and raises ValidationFailedStop otherwise (so the COPY and its
    transaction fail and nothing is inserted); `report` then holds the errors. The thread never
    touches the caller's database connection (progress callbacks get a connection of their own,
    closed when the thread ends). Always `close()` it."""

    def __init__(self, **validate_kwargs):
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._stopped = threading.Event()
        self._done = False
        self.report: ValidationReport | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, kwargs=validate_kwargs, name="import-validation", daemon=True
        )
        self._thread.start()

    def _run(self, **kwargs) -> None:
        try:
            self.report = validate_file(spool=self, check_existing=False, **kwargs)
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - re-raised in the reading thread
            self.error = exc
        finally:
            db_connections.close_all()  # this thread's own connections only
            self._put(None)

    def _put(self, item) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        if item is not None:
            raise _Stopped()

    # The spool side, called by the validator in the thread.
    def write(self, data: bytes) -> None:
        self._put(data)

    # The COPY side.
    def seek(self, position: int) -> None:
        """Nothing to rewind: the stream is read once, from the start."""

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        chunk = self._queue.get()
        if chunk is not None:
            return chunk
        self._done = True
        self._thread.join()
        if self.error is not None:
            raise self.error
        if self.report is None or not self.report.ok:
            raise ValidationFailedStop()
        return b""

    def close(self) -> None:
        """Stop the thread (if the COPY ended early) and wait for it."""
        self._stopped.set()
        self._thread.join()

    def __enter__(self) -> ValidationStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def copy_spool(spool: BinaryIO | ValidationStream) -> None:
    """Pass 2: stream the spool into labeling_item with COPY. Call inside a transaction.
    Databases without COPY (the SQLite demo) read the same spool back and bulk_create it."""
    spool.seek(0)
    if connection.vendor != "postgresql":
        _insert_spool(spool)
        return
    # The raw psycopg COPY is not wrapped by Django: translate its errors (a unique violation
    # becomes django.db.IntegrityError) so callers can catch them.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(COPY_SQL) as copy,
    ):
        while chunk := spool.read(1 << 20):
            copy.write(chunk)


_COPY_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
_COPY_ESCAPE = re.compile(r"\\(.)")


def _copy_field(text: str) -> str | None:
    """One field of a COPY text line: \\N is NULL, backslash escapes as COPY reads them."""
    if text == "\\N":
        return None
    if "\\" not in text:
        return text
    return _COPY_ESCAPE.sub(lambda m: _COPY_UNESCAPES.get(m.group(1), m.group(1)), text)


def _insert_spool(spool: BinaryIO) -> None:
    """The spool's COPY text lines as Item rows through the ORM, SPOOL_ROWS at a time."""
    from datetime import datetime

    def item(line: bytes) -> Item:
        values = dict(
            zip(
                COPY_COLUMNS,
                map(_copy_field, line.decode("utf-8").rstrip("\n").split("\t")),
                strict=True,
            )
        )
        return Item(
            project_id=int(values["project_id"]),
            external_id=values["external_id"],
            payload=json.loads(values["payload"]),
            is_gold=values["is_gold"] == "t",
            gold_answer=json.loads(gold) if (gold := values["gold_answer"]) is not None else None,
            gold_retired=values["gold_retired"] == "t",
            priority=int(values["priority"]),
            open_slots=int(values["open_slots"]),
            submitted_count=int(values["submitted_count"]),
            import_job_id=int(job) if (job := values["import_job_id"]) is not None else None,
            created_at=datetime.fromisoformat(values["created_at"]),
        )

    batch: list[Item] = []
    for line in spool:
        batch.append(item(line))
        if len(batch) >= SPOOL_ROWS:
            Item.objects.bulk_create(batch)
            batch = []
    if batch:
        Item.objects.bulk_create(batch)


def new_spool() -> BinaryIO:
    return tempfile.TemporaryFile(prefix="plumbline-import-")  # noqa: SIM115 - caller closes
