"""Rate limiting of failed authentication, per client address and per key id.

Every failed authentication (a key that is malformed, unknown, revoked or wrong; a request with
no key at all is not an attempt and does not count) is counted against the client's address and,
when the key names one, against its key id, in a sliding window. Once either has reached
``limit`` failures within ``window`` seconds, further attempts from that address or with that key
id get 429 ``TOO_MANY_FAILED_ATTEMPTS`` with ``Retry-After`` (seconds until the oldest failure
leaves the window) — before the key is looked up or its argon2 hash computed, so an attacker
cannot make the service hash for them. A key this process has already verified is never refused
(a bank's officers behind one address keep working while someone next to them guesses), and
successful requests add nothing.

The counters live in each worker process, so each of W workers allows its share,
⌈``limit`` / W⌉ failures (:func:`worker_share`): a client spreading its guesses over every worker
gets at most W × ⌈``limit`` / W⌉ tries per window in all (``limit`` when W divides it), and one
that keeps to one connection is refused sooner. They hold at most ``max_clients`` addresses and
key ids, the least recently failed forgotten first, so a flood of addresses cannot grow memory
without bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from api.errors import ApiError

Clock = Callable[[], float]


def worker_share(limit: int, workers: int) -> int:
    """The failures one of ``workers`` processes allows so that all of them together allow at
    most about ``limit``: ⌈limit / workers⌉ (0, no limit, stays 0)."""
    return -(-limit // workers)


def too_many(retry_after: int) -> ApiError:
    """The 429 of a client or key id over the limit."""
    return ApiError(
        429,
        "TOO_MANY_FAILED_ATTEMPTS",
        f"too many failed authentications from this client or for this key; retry in "
        f"{retry_after} s",
        "Authorization",
        {"Retry-After": str(retry_after)},
    )


class FailureLimiter:
    """Sliding-window counts of failed authentications by subject (``ip:…``, ``key:…``)."""

    def __init__(
        self,
        limit: int,
        window: float,
        max_clients: int = 100_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, subject: str, now: float) -> deque[float] | None:
        """The failures of ``subject`` still in the window (expired ones dropped)."""
        failures = self._failures.get(subject)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[subject]
            return None
        return failures

    def retry_after(self, *subjects: str) -> int | None:
        """Seconds until the first of ``subjects`` over the limit may try again; None when none
        is over it."""
        if self.limit == 0:
            return None
        now = self._clock()
        waits = []
        with self._lock:
            for subject in subjects:
                failures = self._recent(subject, now)
                if failures is not None and len(failures) >= self.limit:
                    waits.append(failures[-self.limit] + self.window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def check(self, *subjects: str) -> None:
        """Raise the 429 when one of ``subjects`` is over the limit."""
        wait = self.retry_after(*subjects)
        if wait is not None:
            raise too_many(wait)

    def failed(self, *subjects: str) -> None:
        """Count one failure against each of ``subjects``."""
        if self.limit == 0:
            return
        now = self._clock()
        with self._lock:
            for subject in subjects:
                failures = self._recent(subject, now)
                if failures is None:
                    failures = self._failures[subject] = deque(maxlen=self.limit)
                failures.append(now)
                self._failures.move_to_end(subject)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
