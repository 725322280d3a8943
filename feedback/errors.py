"""The one exception the feedback domain raises for a refused action."""

from __future__ import annotations

from typing import Any


class FeedbackError(Exception):
    """A refused action; ``message`` is for the person who asked (a lazy Chinese string) and
    ``code`` is stable for programs and tests (``"closed"``, ``"too_long"``, …)."""

    def __init__(self, message: Any, code: str = "refused") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
