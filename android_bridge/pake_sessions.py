"""The bridge's side of the pairing exchange (:mod:`fmtc_nb.pake`): ``POST /api/v1/pair/start`` and
``/pair/finish``.

``start`` takes the client's SPAKE2 message, counts one try of the current code, answers with the bridge's
message and its confirmation over the transcript (which holds the fingerprint of the certificate this bridge
serves), and keeps the shared key for a short while. ``finish`` takes the client's confirmation: if it
matches, the code is used up and the new bearer token goes back sealed under the shared key; a wrong code
shows as a wrong confirmation. A session works once.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from android_bridge.pairing import PairingCodes, PairingRefused
from fmtc_nb.pake import MESSAGE_BYTES, confirmation, decode, encode, finish, seal, side_b, transcript

#: Seconds a started exchange waits for its finish; most exchanges under way at once.
SESSION_TTL_S, MAX_SESSIONS = 120.0, 32


@dataclass(frozen=True)
class _Session:
    key: bytes
    code: str
    name: str
    seen: bytes
    started: float


class PakeSessions:
    """Pairing exchanges under way (in memory: a restarted bridge forgets them, and the client starts again)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def start(self, codes: PairingCodes, fingerprint: str, name: str, message: object) -> dict[str, Any]:
        """Answer a client's first message (raises PairingMessageError or PairingRefused)."""
        msg_a = decode(message, MESSAGE_BYTES)
        code = codes.take_try()
        state, msg_b = side_b(code)
        key = finish(state, msg_a)
        session = secrets.token_urlsafe(18)
        seen = transcript(fingerprint, name, msg_a, msg_b, session)
        with self._lock:
            now = self._clock()
            self._sessions = {k: v for k, v in self._sessions.items() if now - v.started < SESSION_TTL_S}
            if len(self._sessions) >= MAX_SESSIONS:
                raise PairingRefused("Too many pairing exchanges are under way; try again in a minute.", 429, 60.0)
            self._sessions[session] = _Session(key, code, name, seen, now)
        return {"session": session, "msg": encode(msg_b), "confirm": encode(confirmation(key, b"B", seen))}

    def finish(self, codes: PairingCodes, session: object, proof: object,
               issue: Callable[[str], tuple[Any, str]]) -> tuple[Any, str]:
        """Check the client's confirmation and issue its token: (client record, sealed token box)."""
        with self._lock:
            started = self._sessions.pop(session, None) if isinstance(session, str) else None
        if started is None or self._clock() - started.started >= SESSION_TTL_S:
            raise PairingRefused("That pairing exchange is unknown, used or expired; start pairing again.", 400)
        if not hmac.compare_digest(decode(proof, 32), confirmation(started.key, b"A", started.seen)):
            raise PairingRefused("The pairing code is wrong.", 403)
        codes.confirm(started.code)
        client, token = issue(started.name)
        return client, seal(started.key, token)
