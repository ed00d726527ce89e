"""One-time six-digit pairing codes: valid a few minutes, a handful of wrong tries, then a lockout.

The phone shows the current code; a notebook trades it for a bearer token (see :mod:`android_bridge.tokens`).
A code works once. Wrong tries are counted for the code, whoever sends them, so guessing has at most
``tries`` chances in a million per code; after that pairing is locked for ``lockout_s`` seconds and a new code
is shown when the lockout ends. The code that expired last is still recognised, so a late user is told it
expired (not that it is wrong, which would count as a try). The bridge calls :meth:`PairingCodes.current` at
:meth:`PairingCodes.next_change_at`, so a new code appears on the screen when the old one expires.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class PairingRefused(Exception):
    """A pairing attempt failed; ``status`` is the HTTP status to answer and ``retry_after_s`` set when locked."""

    def __init__(self, message: str, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class PairingCode:
    """The code the phone shows and the wall-clock time (seconds since the epoch) it expires."""

    code: str
    expires_at: float


def new_code() -> str:
    """A uniformly random six-digit code (leading zeros kept)."""
    return f"{secrets.randbelow(1_000_000):06d}"


class PairingCodes:
    """The current code, its tries and the lockout. Thread-safe; ``clock`` returns seconds (wall clock)."""

    def __init__(self, ttl_s: float = 300.0, tries: int = 5, lockout_s: float = 300.0,
                 on_new_code: Callable[[PairingCode | None], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.ttl_s, self.tries, self.lockout_s = ttl_s, tries, lockout_s
        self.on_new_code = on_new_code
        self._clock = clock
        self._lock = threading.Lock()
        self._code: PairingCode | None = None
        self._expired: str | None = None  # the code that expired last
        self._wrong = 0
        self._locked_until = 0.0
        self.rotate()

    def current(self) -> PairingCode | None:
        """The code to show now (a fresh one if the last expired or a lockout ended; None while locked)."""
        with self._lock:
            now = self._clock()
            if now < self._locked_until:
                return None
            if self._code is None or now >= self._code.expires_at:
                self._issue(now)
            return self._code

    def next_change_at(self) -> float:
        """When (wall clock, epoch seconds) the code shown changes by itself: the current code expires or the
        lockout ends."""
        with self._lock:
            if self._clock() < self._locked_until or self._code is None:
                return self._locked_until
            return self._code.expires_at

    def rotate(self) -> PairingCode:
        """Show a new code now (the old one stops working)."""
        with self._lock:
            self._locked_until = 0.0
            return self._issue(self._clock())

    def redeem(self, code: object) -> None:
        """Accept ``code`` once (a new code is shown afterwards) or raise :class:`PairingRefused`."""
        with self._lock:
            now = self._clock()
            if now < self._locked_until:
                raise PairingRefused("Pairing is locked after too many wrong codes; try again later.", 429,
                                     self._locked_until - now)
            if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
                raise PairingRefused("The pairing code must be the six digits the device shows.", 400)
            current = self._code
            if current is None or now >= current.expires_at:
                current = self._issue(now)
            if self._expired is not None and hmac.compare_digest(code.encode(), self._expired.encode()):
                raise PairingRefused("The pairing code has expired; use the new code the device shows.", 403)
            if not hmac.compare_digest(code.encode(), current.code.encode()):
                self._wrong += 1
                if self._wrong >= self.tries:
                    self._code, self._locked_until = None, now + self.lockout_s
                    self._announce()
                    raise PairingRefused("Too many wrong pairing codes; pairing is locked for a while.", 429,
                                         self.lockout_s)
                raise PairingRefused("The pairing code is wrong.", 403)
            self._issue(now)

    def take_try(self) -> str:
        """Start a pairing exchange (:mod:`android_bridge.pake_sessions`): count one try of the current code and
        return the code, or raise :class:`PairingRefused` while locked. With a password-authenticated exchange
        the bridge cannot tell a wrong code until the client's confirmation, and a relay that guesses learns
        its answer from the bridge's, so every start is a try; :meth:`confirm` ends a good one."""
        with self._lock:
            now = self._clock()
            if now < self._locked_until:
                raise PairingRefused("Pairing is locked after too many wrong codes; try again later.", 429,
                                     self._locked_until - now)
            if self._code is None or now >= self._code.expires_at:
                self._issue(now)
            assert self._code is not None
            if self._wrong >= self.tries:
                self._code, self._locked_until = None, now + self.lockout_s
                self._announce()
                raise PairingRefused("Too many pairing attempts without the right code; pairing is locked for a "
                                     "while.", 429, self.lockout_s)
            self._wrong += 1
            return self._code.code

    def confirm(self, code: str) -> None:
        """A pairing exchange with ``code`` proved the client knows it: the code is used up (a new one is shown);
        :class:`PairingRefused` if that code expired or was replaced meanwhile."""
        with self._lock:
            now = self._clock()
            if self._code is None or now >= self._code.expires_at or \
                    not hmac.compare_digest(code.encode(), self._code.code.encode()):
                raise PairingRefused("The pairing code has expired; use the new code the device shows.", 403)
            self._issue(now)

    def _issue(self, now: float) -> PairingCode:
        old = self._code
        self._expired = old.code if old is not None and now >= old.expires_at else None
        self._code, self._wrong = PairingCode(new_code(), now + self.ttl_s), 0
        self._announce()
        return self._code

    def _announce(self) -> None:
        if self.on_new_code is not None:
            self.on_new_code(self._code)
