"""Flow control of ``AsyncMessagingClient.send_many``: an adaptive in-flight limit and a rate cap.
No Airflow imports.
"""

from __future__ import annotations

import asyncio
import time


class AdaptiveLimit:
    """At most ``limit`` requests in flight; ``limit`` halves when the platform throttles (at least
    1) and grows back by one after every ``recover_after`` successes in a row, up to ``ceiling``.
    After a throttle, no request starts before its ``Retry-After`` has passed.
    """

    def __init__(self, ceiling: int, *, recover_after: int = 10) -> None:
        if isinstance(ceiling, bool) or not isinstance(ceiling, int) or ceiling < 1:
            raise ValueError(f"concurrency must be a whole number of at least 1, got {ceiling!r}")
        if isinstance(recover_after, bool) or not isinstance(recover_after, int) or recover_after < 1:
            raise ValueError(f"recover_after must be a whole number of at least 1, got {recover_after!r}")
        self.ceiling = ceiling
        self.limit = ceiling
        self.recover_after = recover_after
        self.in_flight = 0
        self.streak = 0
        self.resume_at = 0.0
        self.waiters: list[asyncio.Future[None]] = []

    async def acquire(self) -> None:
        """Wait for a free slot (and for the end of a throttle pause), then take it."""
        while True:
            pause = self.resume_at - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
                continue  # a later throttle may have pushed the pause further
            if self.in_flight < self.limit:
                self.in_flight += 1
                return
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)

    def release(self, *, success: bool = False, throttled: bool = False, retry_after: float | None = None) -> None:
        """Give the slot back, saying how the request went (synchronous: safe while cancelling)."""
        self.in_flight -= 1
        if throttled:
            self.limit = max(1, self.limit // 2)
            self.streak = 0
            self.resume_at = max(self.resume_at, time.monotonic() + (retry_after or 0.0))
        elif success:
            self.streak += 1
            if self.streak >= self.recover_after and self.limit < self.ceiling:
                self.limit += 1
                self.streak = 0
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class TokenBucket:
    """At most ``rate`` starts per second (a bucket of one token: starts are spaced ``1/rate`` apart)."""

    def __init__(self, rate: float) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise ValueError(f"max_rate must be a positive number of messages per second, got {rate!r}")
        self.interval = 1.0 / rate
        self.next_start = 0.0

    async def take(self) -> None:
        """Wait for this caller's turn (turns are handed out in call order, no lock needed)."""
        now = time.monotonic()
        start = max(now, self.next_start)
        self.next_start = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)
