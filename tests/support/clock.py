"""A clock a test moves by hand, for the emulator's `create_app(clock=...)`: time passes without sleeping."""

from __future__ import annotations


class FakeClock:
    """Seconds since the epoch, as `time.time` gives them, standing still until `advance`."""

    def __init__(self, now: float = 1_760_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
