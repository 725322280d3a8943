"""Fuzzing what citizens send: the kiosk's forms, the phone pages, the JSON API, the query
arguments of search and lists, and tokens and names in addresses."""

from __future__ import annotations

import pytest

from tests.fuzz.run import fuzz_target
from tests.fuzz.seed import Fuzz
from tests.fuzz.targets import CITIZEN, Target


@pytest.mark.parametrize("target", CITIZEN, ids=lambda t: f"{t.endpoint}:{t.name}")
def test_hostile_input(fuzz: Fuzz, target: Target) -> None:
    """Never a 500, a refusal says why, nothing unclean stored."""
    fuzz_target(fuzz, target)
