"""Fixtures for the printer library tests (no Flask app needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from printer.emulator import VirtualPrinter


@pytest.fixture
def virtual_printer() -> Iterator[VirtualPrinter]:
    """A virtual 58 mm printer on a free port of 127.0.0.1, memory only."""
    with VirtualPrinter(port=0, width_dots=384) as printer:
        yield printer
