"""Fuzzing the staff pages' forms and filters, signed in as an admin holding every role."""

from __future__ import annotations

import pytest

from tests.fuzz.run import fuzz_target
from tests.fuzz.seed import Fuzz
from tests.fuzz.targets import STAFF, Target


@pytest.mark.parametrize("target", STAFF, ids=lambda t: f"{t.endpoint}:{t.name}")
def test_hostile_input(fuzz: Fuzz, target: Target) -> None:
    """Never a 500, a refusal says why, nothing unclean stored."""
    fuzz_target(fuzz, target)
