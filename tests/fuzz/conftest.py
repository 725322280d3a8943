"""The fuzz tests' app: one per module (see ``tests/fuzz/seed.py`` for what it holds).

Hypothesis settings (``seed.FUZZ``), the seed profile of every fuzz test:

    settings(derandomize=True, database=None, deadline=None, max_examples=10,
             suppress_health_check=[too_slow, data_too_large, filter_too_much,
                                    large_base_example])

``derandomize=True``: every run draws the same examples (the seed is derived from each test's
name), so CI is stable and a failure reproduces; each target also runs five explicit examples
(``strategies.EVERY_FIELD``: every field at once set to ``²``, blank, the usual suspects, 100,000
characters, a huge number), query arguments twice the random examples. About 100 s for all of
``tests/fuzz`` per database on the 2-core CI machine. For a deeper search run
``GONGKAI_FUZZ_EXAMPLES=100`` (still derandomized) and add ``GONGKAI_FUZZ_RANDOM=1`` for new
random examples on each run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hall.extensions import db
from tests.fuzz.seed import Fuzz, make_app


@pytest.fixture(scope="module")
def fuzz(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    """The module's app on its own database, seeded, with signed-in clients."""
    state = make_app(database_template, tmp_path_factory.mktemp("fuzz"))
    yield state
    with state.app.app_context():
        db.session.remove()
        db.engine.dispose()
