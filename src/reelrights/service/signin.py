"""Slowing down whoever guesses API keys: a bounded, in-process count of wrong keys.

Every key check that fails (a malformed key, an unknown or revoked one, a wrong secret)
counts against the client address it came from; a wrong secret for a real key id also
counts against that key id, whatever address sent it. An address with
:data:`MAX_PER_ADDRESS` failures, or a key id with :data:`MAX_PER_KEY` failures, within
the last :data:`WINDOW_SECONDS` is refused without checking (:class:`TooManyAttempts`:
HTTP 429 with ``Retry-After``) until its oldest failure in the window is that old.

A key this process has already verified is still accepted from a locked address or for
a locked key id (it is recognised by its digest, no slow hash is paid): a guesser cannot
lock its holder out. Each table keeps at most :data:`MAX_TRACKED` addresses or key ids,
forgetting the least recently failed first, so a flood of addresses cannot exhaust
memory. The counts live in this process only: several server processes each keep their
own, and behind a proxy every client shares the proxy's address.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_PER_ADDRESS = 20
MAX_PER_KEY = 10
WINDOW_SECONDS = 600.0
MAX_TRACKED = 10_000


class TooManyAttempts(Exception):
    """Too many wrong keys lately from this address or for this key id."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed attempts to sign in; try again in {retry_after} seconds")


class _Failures:
    """Failure times per name (address or key id), the newest ``limit`` of each."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.times: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, name: str, now: float) -> float:
        """Seconds until ``name`` may try again (0: now)."""
        recent = self.times.get(name)
        if recent is None:
            return 0.0
        while recent and recent[0] <= now - WINDOW_SECONDS:
            recent.popleft()
        if not recent:
            del self.times[name]
            return 0.0
        return recent[0] + WINDOW_SECONDS - now if len(recent) >= self.limit else 0.0

    def add(self, name: str, now: float) -> None:
        recent = self.times.pop(name, None) or deque(maxlen=self.limit)
        recent.append(now)
        self.times[name] = recent  # most recently failed last
        while len(self.times) > MAX_TRACKED:
            self.times.popitem(last=False)


class SignInLimiter:
    """The failure counts of one process (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.by_address = _Failures(MAX_PER_ADDRESS)
        self.by_key = _Failures(MAX_PER_KEY)
        self.lock = threading.Lock()

    def check(self, address: str | None, key_id: str | None) -> None:
        """Raise :class:`TooManyAttempts` if ``address`` or ``key_id`` is locked out."""
        with self.lock:
            now = self.clock()
            wait = max(
                self.by_address.wait(address, now) if address else 0.0,
                self.by_key.wait(key_id, now) if key_id else 0.0,
            )
        if wait > 0:
            raise TooManyAttempts(max(1, int(wait + 0.999)))

    def failed(self, address: str | None, key_id: str | None) -> None:
        """Count one failure against ``address`` and, for a real key id, ``key_id``."""
        with self.lock:
            now = self.clock()
            if address:
                self.by_address.add(address, now)
            if key_id:
                self.by_key.add(key_id, now)
