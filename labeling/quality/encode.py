"""From a project's rows to the integer-coded numpy arrays the statistics package takes.

One pass over the project's annotations (``values_list(...).iterator()``, no model instances),
decoded per task type into one code array per *criterion* (the overall pairwise choice and each
pairwise criterion, each rubric criterion, each ranking position, each label of a multi-label
classification, a trajectory's success and its step ratings). Answers missing for a criterion
are coded -1 and dropped by the caller.

| task type      | criteria (level)                                                            |
| -------------- | --------------------------------------------------------------------------- |
| pairwise       | overall choice a/b/tie and each configured criterion (nominal)              |
| ranking        | the rank given to each response position (ordinal, 1..k)                    |
| rubric         | each criterion's score (ordinal, scale_min..scale_max)                      |
| classification | the label (nominal); multi-label: each label present yes/no (nominal)       |
| trajectory     | task_success (nominal); step ratings (ordinal, one unit per item and step)  |
| free_text      | none (speed and near-duplicate text only)                                   |
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction

from labeling.models import Annotation, Item
from marketplace.models import Project

NONE_OF_THESE = "none_of_these"
Extractor = Callable[[dict], int]
MultiExtractor = Callable[[dict], list[tuple[int, int]]]


@dataclass
class CriterionSpec:
    key: str
    label: str
    level: str  # "nominal" | "ordinal"
    classes: list[str]  # display name of each code
    values: list  # the response value of each code
    extract: Extractor | None = None  # response -> code (-1: missing)
    extract_multi: MultiExtractor | None = None  # response -> [(sub-unit, code)]
    sql: str = ""  # SQL expression reading the answer from `response` (loading fast path)
    read: Callable[[dict], object] | None = None  # `sql` evaluated in Python (other databases)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def weights(self) -> str | None:
        """Kappa weights: nominal for choices, quadratic for ordinal scales."""
        return "quadratic" if self.level == "ordinal" else None

    @property
    def multi_unit(self) -> bool:
        return self.extract_multi is not None

    def code_of(self, value) -> int:
        try:
            return self.values.index(value)
        except ValueError:
            return -1


def _choice_extractor(values: list, getter: Callable[[dict], object]) -> Extractor:
    index = {v: i for i, v in enumerate(values)}

    def extract(response: dict) -> int:
        try:
            return index.get(getter(response), -1)
        except (AttributeError, KeyError, TypeError):
            return -1

    return extract


def criteria_for(project: Project) -> list[CriterionSpec]:
    """The criteria quality is measured on, for the project's task type and config."""
    config = project.task_config or {}
    kind = project.task_type
    specs: list[CriterionSpec] = []
    if kind == "pairwise":
        values = ["a", "b", "tie"] if config.get("allow_tie", True) else ["a", "b"]
        classes = ["A", "B", "Tie"][: len(values)]
        specs.append(
            CriterionSpec(
                "overall",
                "Overall preference",
                "nominal",
                classes,
                values,
                _choice_extractor(values, lambda r: r.get("choice")),
            )
        )
        for c in config.get("criteria") or []:
            key = c["key"]
            specs.append(
                CriterionSpec(
                    key,
                    c.get("label", key),
                    "nominal",
                    classes,
                    values,
                    _choice_extractor(
                        values, lambda r, key=key: (r.get("criteria") or {}).get(key)
                    ),
                )
            )
    elif kind == "rubric":
        for c in config.get("criteria") or []:
            key, lo, hi = c["key"], int(c["scale_min"]), int(c["scale_max"])
            values = list(range(lo, hi + 1))
            specs.append(
                CriterionSpec(
                    key,
                    c.get("label", key),
                    "ordinal",
                    [str(v) for v in values],
                    values,
                    _choice_extractor(
                        values, lambda r, key=key: _score(r.get("scores", {}).get(key))
                    ),
                )
            )
    elif kind == "ranking":
        k = int(config.get("k", 4))
        values = list(range(1, k + 1))
        for i in range(k):
            specs.append(
                CriterionSpec(
                    f"response_{i + 1}",
                    f"Rank of response {i + 1}",
                    "ordinal",
                    [str(v) for v in values],
                    values,
                    _choice_extractor(values, lambda r, i=i: (r.get("ranks") or [])[i]),
                )
            )
    elif kind == "classification":
        keys = [x["key"] for x in config.get("labels") or []]
        labels = {x["key"]: x.get("label", x["key"]) for x in config.get("labels") or []}
        if config.get("multi"):
            for key in keys:
                specs.append(
                    CriterionSpec(
                        key,
                        labels[key],
                        "nominal",
                        ["No", "Yes"],
                        [False, True],
                        lambda r, key=key: int(key in (r.get("labels") or [])),
                    )
                )
        else:
            values = keys + ([NONE_OF_THESE] if config.get("allow_none") else [])
            classes = [labels.get(v, "None of these") for v in values]
            specs.append(
                CriterionSpec(
                    "label",
                    "Label",
                    "nominal",
                    classes,
                    values,
                    _choice_extractor(values, lambda r: r.get("label")),
                )
            )
    elif kind == "trajectory":
        values = ["success", "partial", "failure"]
        specs.append(
            CriterionSpec(
                "task_success",
                "Task success",
                "nominal",
                ["Success", "Partial", "Failure"],
                values,
                _choice_extractor(values, lambda r: r.get("task_success")),
            )
        )
        lo, hi = int(config.get("scale_min", 1)), int(config.get("scale_max", 5))
        scale = list(range(lo, hi + 1))

        def steps(r: dict) -> list[tuple[int, int]]:
            out = []
            for s in r.get("steps") or []:
                if (
                    isinstance(s, dict)
                    and isinstance(s.get("rating"), int)
                    and lo <= s["rating"] <= hi
                    and isinstance(s.get("step"), int)
                ):
                    out.append((s["step"], s["rating"] - lo))
            return out

        specs.append(
            CriterionSpec(
                "step_rating",
                "Step ratings",
                "ordinal",
                [str(v) for v in scale],
                scale,
                extract_multi=steps,
            )
        )
    _attach_sql(kind, config, specs)
    return specs


def _attach_sql(kind: str, config: dict, specs: list[CriterionSpec]) -> None:
    """The SQL expression that reads each single-unit criterion out of `response` (the keys
    are the project's own config keys, matched by KEY_SCHEMA: quoted as literals anyway), and
    next to it ``read``: the same expression evaluated in Python on the decoded response, for
    databases without PostgreSQL's JSON operators (the SQLite demo). Both return what the SQL
    returns (``->>`` text, or a bool for multi-label), so one code mapping serves both."""

    def lit(key: str) -> str:
        return "'" + str(key).replace("'", "''") + "'"

    for i, spec in enumerate(specs):
        if spec.multi_unit:
            continue
        key = spec.key
        if kind == "pairwise":
            if key == "overall":
                spec.sql = "response->>'choice'"
                spec.read = lambda r: _text(_get(r, "choice"))
            else:
                spec.sql = f"response->'criteria'->>{lit(key)}"
                spec.read = lambda r, key=key: _text(_get(_get(r, "criteria"), key))
        elif kind == "rubric":
            spec.sql = (
                f"COALESCE(response->'scores'->{lit(key)}->>'score', "
                f"response->'scores'->>{lit(key)})"
            )

            def read_score(r, key=key):
                value = _get(_get(r, "scores"), key)
                scored = _text(_get(value, "score"))
                return scored if scored is not None else _text(value)

            spec.read = read_score
        elif kind == "ranking":
            spec.sql = f"response->'ranks'->>{i}"
            spec.read = lambda r, i=i: _text(_at(_get(r, "ranks"), i))
        elif kind == "classification":
            if config.get("multi"):
                spec.sql = f"COALESCE((response->'labels') ? {lit(key)}, false)"
                spec.read = lambda r, key=key: _has(_get(r, "labels"), key)
            else:
                spec.sql = "response->>'label'"
                spec.read = lambda r: _text(_get(r, "label"))
        elif kind == "trajectory":
            spec.sql = "response->>'task_success'"
            spec.read = lambda r: _text(_get(r, "task_success"))


# PostgreSQL's jsonb operators in Python, on values decoded by json.loads (None: SQL NULL).


def _get(value, key: str):
    """``value -> 'key'``: NULL unless value is an object."""
    return value.get(key) if isinstance(value, dict) else None


def _at(value, i: int):
    """``value -> i``: NULL unless value is an array long enough."""
    return value[i] if isinstance(value, list) and -len(value) <= i < len(value) else None


def _text(value) -> str | None:
    """``->>``: a string as itself, JSON null as NULL, anything else as its JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def _has(value, key: str) -> bool:
    """``COALESCE(value ? 'key', false)``: an object key, an array string element, or the
    string itself."""
    if isinstance(value, dict):
        return key in value
    if isinstance(value, list):
        return any(isinstance(v, str) and v == key for v in value)
    return isinstance(value, str) and value == key


def _score(value):
    if isinstance(value, dict):
        value = value.get("score")
    return value


def free_text_of(response: dict) -> str:
    if "text" in response:
        return str(response.get("text") or "")
    return f"{response.get('critique') or ''}\n{response.get('revision') or ''}".strip()


@dataclass
class ProjectData:
    """Everything the statistics need, integer-coded. Item and expert codes index
    ``item_ids`` / ``expert_ids``."""

    project: Project
    specs: list[CriterionSpec]
    item_ids: np.ndarray
    external_ids: list[str]
    gold_active: np.ndarray  # bool per item code
    gold_retired: np.ndarray
    gold_codes: dict[str, np.ndarray]  # criterion -> code per item (-1: none)
    entities: list[list[str]]  # per item code: names of the compared responses (BT)
    groups: list[str]  # per item code: prompt set
    expert_ids: np.ndarray
    ann_item: np.ndarray
    ann_expert: np.ndarray
    ann_seconds: np.ndarray
    ann_time: np.ndarray  # submitted_at, seconds since the epoch
    ann_gold_correct: np.ndarray  # int8: -1 not scored, 0 wrong, 1 right
    codes: dict[str, np.ndarray] = field(default_factory=dict)  # criterion -> code per annotation
    multi: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    comparisons: tuple[np.ndarray, ...] = ()  # (annotation, slot_winner, slot_loser, tie)
    texts: list[str] = field(default_factory=list)
    text_ann: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    last_annotation_id: int = 0

    @property
    def n_items(self) -> int:
        return int(self.item_ids.shape[0])

    @property
    def n_experts(self) -> int:
        return int(self.expert_ids.shape[0])

    @property
    def n_annotations(self) -> int:
        return int(self.ann_item.shape[0])


def _payload_fields(kind: str) -> list[str]:
    if kind == "pairwise":
        return ["payload__model_a", "payload__model_b", "payload__prompt_set"]
    if kind == "ranking":
        return ["payload__models", "payload__prompt_set"]
    return ["payload__prompt_set"]


def _entities(kind: str, extra: tuple, k: int) -> list[str]:
    if kind == "pairwise":
        a, b = extra[0], extra[1]
        return [str(a) if a else "Response A", str(b) if b else "Response B"]
    if kind == "ranking":
        models = extra[0] if isinstance(extra[0], list) else []
        return [
            str(models[i]) if i < len(models) and models[i] else f"Response {i + 1}"
            for i in range(k)
        ]
    return []


def _comparisons_vectorized(
    kind: str, single: list[CriterionSpec], codes: dict[str, np.ndarray]
) -> tuple[np.ndarray, ...]:
    """(annotation, winner slot, loser slot, tie) arrays for Bradley–Terry: pairwise from the
    overall choice, rankings from every pair of positions."""
    empty = (np.zeros(0, np.int64),) * 3 + (np.zeros(0, np.int8),)
    if kind == "pairwise" and "overall" in codes:
        c = codes["overall"]
        ann = np.flatnonzero(c >= 0)
        cc = c[ann]
        win = np.where(cc == 1, 1, 0)
        return ann, win, 1 - win, (cc == 2).astype(np.int8)
    if kind == "ranking" and single:
        parts = []
        ranks = [codes[s.key] for s in single]
        for i in range(len(ranks)):
            for j in range(i + 1, len(ranks)):
                ok = np.flatnonzero((ranks[i] >= 0) & (ranks[j] >= 0))
                ri, rj = ranks[i][ok], ranks[j][ok]
                win = np.where(ri <= rj, i, j)
                lose = np.where(ri <= rj, j, i)
                parts.append((ok, win, lose, (ri == rj).astype(np.int8)))
        if not parts:
            return empty
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))
    return empty


def _annotation_chunks(
    project: Project,
    single: list[CriterionSpec],
    multi_specs: list[CriterionSpec],
    chunk_size: int,
) -> Iterator[list[tuple]]:
    """The project's non-rejected annotations in chunks of rows ``(id, item_id, expert_id,
    active_seconds, submitted_at epoch seconds, gold_correct as 1/0/-1, each single criterion's
    value as ``spec.sql`` returns it, [steps], [response])``. Must run inside a transaction.

    PostgreSQL: one server-side (named) cursor that reads the answers out of the JSON in SQL.
    Elsewhere (the SQLite demo): the ORM's iterator, each answer read by ``spec.read``."""
    kind = project.task_type
    if connection.vendor == "postgresql":
        columns = [
            "id",
            "item_id",
            "expert_id",
            "active_seconds",
            "EXTRACT(EPOCH FROM submitted_at)::float8",
            "COALESCE(gold_correct::int, -1)",
            *[s.sql for s in single],
        ]
        if multi_specs:
            columns.append("response->'steps'")
        if kind == "free_text":
            columns.append("response")
        table = Annotation._meta.db_table
        # The column expressions are built from the project's own config keys (quoted).
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE project_id = %s AND review_status <> %s"  # noqa: S608, E501
        cursor = connection.connection.cursor(name=f"quality_load_{project.pk}")
        try:
            cursor.execute(sql, [project.pk, Annotation.Review.REJECTED])
            n_json = len(columns) - 6 - len(single)  # trailing jsonb columns (steps, response)
            while rows := cursor.fetchmany(chunk_size):
                if n_json:
                    # Django's psycopg setup loads jsonb as text: decode steps / response here.
                    rows = [(*r[:-n_json], *(_json(v) for v in r[-n_json:])) for r in rows]
                yield rows
        finally:
            cursor.close()
        return

    def row(a: tuple) -> tuple:
        pk, item_id, expert_id, seconds, submitted_at, gold_correct, response = a
        out = [
            pk,
            item_id,
            expert_id,
            seconds,
            submitted_at.timestamp() if submitted_at is not None else None,
            -1 if gold_correct is None else int(gold_correct),
            *[s.read(response) for s in single],
        ]
        if multi_specs:
            out.append(_get(response, "steps"))
        if kind == "free_text":
            out.append(response)
        return tuple(out)

    qs = (
        Annotation.objects.filter(project=project)
        .exclude(review_status=Annotation.Review.REJECTED)
        .order_by("id")
        .values_list(
            "id",
            "item_id",
            "expert_id",
            "active_seconds",
            "submitted_at",
            "gold_correct",
            "response",
        )
    )
    rows: list[tuple] = []
    for a in qs.iterator(chunk_size=min(chunk_size, 2000)):
        rows.append(row(a))
        if len(rows) >= chunk_size:
            yield rows
            rows = []
    if rows:
        yield rows


def project_data_load(project: Project, *, chunk_size: int = 20_000) -> ProjectData:
    """Load the project's items and non-rejected annotations once, into coded arrays."""
    kind = project.task_type
    specs = criteria_for(project)
    k = int((project.task_config or {}).get("k", 4))
    fields = _payload_fields(kind)
    item_rows = list(
        Item.objects.filter(project=project)
        .order_by("id")
        .values_list("id", "external_id", "is_gold", "gold_retired", "gold_answer", *fields)
    )
    n_i = len(item_rows)
    item_ids = np.fromiter((r[0] for r in item_rows), dtype=np.int64, count=n_i)
    gold_flag = np.fromiter((bool(r[2]) for r in item_rows), dtype=bool, count=n_i)
    retired = np.fromiter((bool(r[3]) for r in item_rows), dtype=bool, count=n_i)
    gold_codes = {s.key: np.full(n_i, -1, dtype=np.int64) for s in specs if not s.multi_unit}
    entities: list[list[str]] = []
    groups: list[str] = []
    for code, row in enumerate(item_rows):
        extra = row[5:]
        entities.append(_entities(kind, extra, k))
        group = extra[-1]
        groups.append(str(group) if group not in (None, "") else "")
        if row[2] and not row[3] and isinstance(row[4], dict):
            for s in specs:
                if not s.multi_unit:
                    gold_codes[s.key][code] = s.extract(row[4])
    external_ids = [r[1] for r in item_rows]
    del item_rows

    single = [s for s in specs if not s.multi_unit]
    multi_specs = [s for s in specs if s.multi_unit]
    mappings = []
    for s in single:
        mappings.append(
            {
                **{str(v): c for c, v in enumerate(s.values)},
                **{v: c for c, v in enumerate(s.values) if isinstance(v, bool)},
            }
        )
    col_item, col_expert, col_seconds, col_time, col_gold = [], [], [], [], []
    col_codes: dict[str, list] = {s.key: [] for s in single}
    multi_cols = {s.key: (array("q"), array("q"), array("q")) for s in multi_specs}
    texts: list[str] = []
    text_ann = array("q")
    last_id = 0
    n = 0
    base = 6 + len(single)
    with transaction.atomic():
        for rows in _annotation_chunks(project, single, multi_specs, chunk_size):
            cols = list(zip(*rows, strict=True))
            last_id = max(last_id, max(cols[0]))
            col_item.append(np.array(cols[1], dtype=np.int64))
            col_expert.append(np.array(cols[2], dtype=np.int64))
            col_seconds.append(np.array(cols[3], dtype=np.float64))
            col_time.append(np.array(cols[4], dtype=np.float64))
            col_gold.append(np.array(cols[5], dtype=np.int8))
            for k, s in enumerate(single):
                get = mappings[k].get
                col_codes[s.key].append(
                    np.fromiter((get(v, -1) for v in cols[6 + k]), np.int64, len(rows))
                )
            for offset, row in enumerate(rows):
                if multi_specs:
                    steps = row[base] if isinstance(row[base], list) else []
                    for s in multi_specs:
                        a_col, sub_col, code_col = multi_cols[s.key]
                        for sub, code in s.extract_multi({"steps": steps}):
                            a_col.append(n + offset)
                            sub_col.append(sub)
                            code_col.append(code)
                if kind == "free_text":
                    response = row[-1] if isinstance(row[-1], dict) else {}
                    texts.append(free_text_of(response))
                    text_ann.append(n + offset)
            n += len(rows)

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    raw_item = cat(col_item, np.int64)
    raw_expert = cat(col_expert, np.int64)
    codes = {key: cat(parts, np.int64) for key, parts in col_codes.items()}
    comparisons = _comparisons_vectorized(kind, single, codes)
    ann_item = np.searchsorted(item_ids, raw_item).astype(np.int64)
    expert_ids, ann_expert = np.unique(raw_expert, return_inverse=True)

    def arr(a, dtype):
        return np.frombuffer(a, dtype=dtype).copy() if len(a) else np.zeros(0, dtype)

    data = ProjectData(
        project=project,
        specs=specs,
        item_ids=item_ids,
        external_ids=external_ids,
        gold_active=gold_flag & ~retired,
        gold_retired=gold_flag & retired,
        gold_codes=gold_codes,
        entities=entities,
        groups=groups,
        expert_ids=expert_ids.astype(np.int64),
        ann_item=ann_item,
        ann_expert=ann_expert.astype(np.int64).ravel(),
        ann_seconds=cat(col_seconds, np.float64),
        ann_time=cat(col_time, np.float64),
        ann_gold_correct=cat(col_gold, np.int8),
        codes=codes,
        multi={key: tuple(arr(c, np.int64) for c in cols) for key, cols in multi_cols.items()},
        comparisons=comparisons,
        texts=texts,
        text_ann=arr(text_ann, np.int64),
        last_annotation_id=last_id,
    )
    return data
