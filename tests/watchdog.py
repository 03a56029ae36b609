"""Run a function in a fresh process and fail, instead of hanging the suite, when it never ends.

Hostile-input tests feed megabyte values and alias bombs to code that once took minutes
(quadratic regexes, exponential YAML expansion). How fast that code is belongs to
``benchmarks/bench_hostile_input.py``; a test only asserts that it finishes at all, with
a limit a thousand times above the measured time, so a loaded machine cannot fail it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

LIMIT_S = 60.0


class Watchdog:
    """One spawned worker process; ``run`` returns the function's result or fails the test."""

    def __init__(self) -> None:
        self._pool = multiprocessing.get_context("spawn").Pool(1)

    def run(self, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return self._pool.apply_async(func, args).get(timeout=LIMIT_S)
        except multiprocessing.TimeoutError:
            self.close()
            self._pool = multiprocessing.get_context("spawn").Pool(1)
            pytest.fail(
                f"{func.__name__} did not finish within {LIMIT_S:g} s: a runaway (quadratic or worse) slowdown"
            )

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


@contextmanager
def watchdog() -> Iterator[Watchdog]:
    dog = Watchdog()
    try:
        yield dog
    finally:
        dog.close()
