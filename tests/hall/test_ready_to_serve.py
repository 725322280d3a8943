"""``ready_to_serve``: features' serving hooks run, start-up objects are frozen out of the
garbage collector and full collections are made rarer (hall/cli.py says why)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from flask import Flask

from hall.cli import FULL_GC_EVERY, ready_to_serve


@pytest.fixture
def gc_state() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_hooks_run_and_the_collector_is_settled(gc_state: None) -> None:
    app = Flask("probe")
    seen: list[Flask] = []
    app.extensions["on_serve"] = [seen.append]
    young, middle, _ = gc.get_threshold()
    gc.unfreeze()
    kept = [{"start-up": i} for i in range(1000)]  # tracked objects alive at start-up

    ready_to_serve(app)

    assert seen == [app]
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (young, middle, FULL_GC_EVERY)
    assert FULL_GC_EVERY > 10  # rarer than Python's default
