"""Hooks other apps register into, so labeling can tell them about events without importing
them (the layer rule: labeling never imports payments).

Usage, from the depending app's AppConfig.ready()::

    from labeling import hooks

    hooks.on_annotations_accepted.append(my_callable)   # or hooks.register_on_annotations_accepted

Each callable receives a list of annotation ids (ints) that just became `accepted` — by a
reviewer, by bulk accept, by the auto-accept beat task, or by staff overturning a rejection on
appeal. It is called after the accepting transaction committed (`transaction.on_commit`), never
for a rolled-back acceptance, at most once per acceptance. An exception in one callable is
logged and does not stop the others. Callables should be quick (enqueue a Celery task); the
source of truth stays `review_status == "accepted"` + `reviewed_at`, which payments can always
re-read through `labeling.selectors.annotations_accepted_since`.
"""

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

logger = logging.getLogger(__name__)

AcceptedHook = Callable[[list[int]], None]

on_annotations_accepted: list[AcceptedHook] = []


def register_on_annotations_accepted(fn: AcceptedHook) -> AcceptedHook:
    """Register `fn` once (registering twice is harmless). Usable as a decorator."""
    if fn not in on_annotations_accepted:
        on_annotations_accepted.append(fn)
    return fn


def _run(hooks: list[AcceptedHook], ids: list[int]) -> None:
    for fn in hooks:
        try:
            fn(ids)
        except Exception:  # noqa: BLE001 - one consumer's bug must not break the others
            logger.exception("on_annotations_accepted hook %r failed", fn)


def annotations_accepted_notify(annotation_ids: Iterable[int]) -> None:
    """Called by labeling services inside the accepting transaction."""
    ids = sorted(set(int(i) for i in annotation_ids))
    if not ids or not on_annotations_accepted:
        return
    hooks = list(on_annotations_accepted)
    transaction.on_commit(lambda: _run(hooks, ids))
