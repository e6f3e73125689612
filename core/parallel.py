"""Independent pieces of database work on several connections at once (PostgreSQL).

Set-based settlements are single-threaded inside PostgreSQL: one statement, one backend, one
core. Work that splits into disjoint parts (projects, say) runs faster as one part per
connection, each part in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection, connections

T = TypeVar("T")


def run_on_connections(fn: Callable[..., T], calls: Sequence[dict], workers: int) -> list[T]:
    """fn(**kwargs) for each kwargs in `calls`, up to `workers` at a time, each on a thread with
    its own database connection (closed when the call ends). Runs them one after the other, on
    this connection, where parallel work could not see this transaction's writes (inside an
    atomic block), on SQLite (one writer) or when there is nothing to share."""
    serial = workers <= 1 or len(calls) <= 1 or connection.vendor != "postgresql"
    if serial or connection.in_atomic_block:
        return [fn(**kwargs) for kwargs in calls]

    def one(kwargs: dict) -> T:
        try:
            return fn(**kwargs)
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, calls))


def balanced_groups(weights: Iterable[tuple[int, int]], parts: int) -> list[list[int]]:
    """Split (key, weight) pairs into at most `parts` groups of about equal total weight
    (largest first, each into the lightest group); keys sorted within a group."""
    groups: list[tuple[int, list[int]]] = [(0, []) for _ in range(max(1, parts))]
    for key, weight in sorted(weights, key=lambda kw: (-kw[1], kw[0])):
        total, keys = min(groups, key=lambda g: g[0])
        groups.remove((total, keys))
        keys.append(key)
        groups.append((total + weight, keys))
    return [sorted(keys) for _, keys in groups if keys]
