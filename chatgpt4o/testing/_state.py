"""What every part of the stand-in shares: its clock, nonce keys, fault queue, logs and model.

``LocalSite`` owns one ``SiteState`` and hands it to the plugin it plays; the plugins read the
site's settings through ``SiteView`` (public attributes of ``LocalSite``) and act through the
state's methods, so no part reaches into another's private members.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Callable, Protocol

from chatgpt4o.testing._aipkit_store import UpstreamCall
from chatgpt4o.testing._faults import FaultQueue
from chatgpt4o.testing._image_inputs import describe_content_images
from chatgpt4o.testing._php import create_nonce, verify_nonce
from chatgpt4o.testing._profiles import Profile
from chatgpt4o.testing._recording import RecordedRequest


class SiteView(Protocol):
    """The settings of a running site that its plugin reads (``LocalSite`` provides them)."""

    @property
    def profile(self) -> Profile: ...
    @property
    def url(self) -> str: ...
    @property
    def streams(self) -> bool: ...
    @property
    def post_id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def bots(self) -> tuple[int, ...]: ...
    @property
    def draft_bots(self) -> frozenset[int]: ...
    @property
    def refresh_action(self) -> bool: ...
    @property
    def guest_limit(self) -> int | None: ...
    @property
    def banned_words(self) -> tuple[str, ...]: ...
    @property
    def banned_ips(self) -> tuple[str, ...]: ...
    @property
    def api_mode(self) -> str: ...


class SiteState:
    """A site's clock, nonce keys, queued faults, request and upstream logs, and its model."""

    def __init__(
        self,
        *,
        answer: Callable[[str], str],
        model: Callable[[UpstreamCall], str] | None,
        clock: Callable[[], float] | None,
        nonce_life: float,
    ) -> None:
        self.faults = FaultQueue()
        self._answer = answer
        self._model = model
        self._clock: Callable[[], float] = clock if clock is not None else time.time
        self._lock = threading.Lock()
        self._offset = 0.0
        self._life = float(nonce_life)
        self._key = secrets.token_bytes(32)
        self._old_key = secrets.token_bytes(32)
        self._requests: list[RecordedRequest] = []
        self._upstream: list[UpstreamCall] = []
        self._errors: list[BaseException] = []

    # -- clock and nonces ------------------------------------------------------------------

    def now(self) -> float:
        """The site's time: the clock plus every ``advance`` offset."""
        with self._lock:
            offset = self._offset
        return self._clock() + offset

    def advance(self, seconds: float) -> None:
        """Move the site's clock by ``seconds``."""
        with self._lock:
            self._offset += seconds

    @property
    def nonce_life(self) -> float:
        """WordPress's ``nonce_life`` in seconds (the caller checks new values)."""
        with self._lock:
            return self._life

    @nonce_life.setter
    def nonce_life(self, value: float) -> None:
        with self._lock:
            self._life = float(value)

    def rotate_key(self) -> None:
        """Replace the nonce key; the old one is kept only to print decoy nonces."""
        with self._lock:
            self._old_key = self._key
            self._key = secrets.token_bytes(32)

    def make_nonce(self, action: str, *, key: str = "current") -> str:
        """A nonce for ``action`` now: ``key`` is "current", "previous" (a decoy) or "stale"."""
        now = self.now()
        with self._lock:
            secret = {"current": self._key, "previous": self._old_key}.get(key)
            life = self._life
        return create_nonce(secret or secrets.token_bytes(32), action, now=now, life=life)

    def nonce_ok(self, nonce: str, action: str) -> bool:
        """Whether ``nonce`` is valid for ``action`` now (``wp_verify_nonce`` > 0)."""
        now = self.now()
        with self._lock:
            key, life = self._key, self._life
        return verify_nonce(nonce, key, action, now=now, life=life) > 0

    # -- the model -------------------------------------------------------------------------

    def think(self, message: str) -> str | None:
        """The model's answer to ``message``; ``None`` if it raised (the error is logged)."""
        try:
            return self._answer(message)
        except Exception as exc:  # a broken model is the site's PHP fatal error
            self._log_error(exc)
            return None

    def think_call(self, call: UpstreamCall) -> str | None:
        """AIPKit: the model's answer to a whole upstream call; ``None`` if it raised.

        ``answer`` sees the text; when pictures came with it, a note naming each one the model
        got follows (``"Echo: hi [images: image/png 70 bytes sha256:49e1dad481e9]"``), as the
        recorded sites' model wrote it. A ``model`` gets the whole call and answers alone.
        """
        if self._model is None:
            text = self.think(call.message)
            note = describe_content_images(call.input[-1]["content"]) if call.images else ""
            return f"{text} {note}" if text is not None and note else text
        try:
            return self._model(call)
        except Exception as exc:  # a broken model is the site's PHP fatal error
            self._log_error(exc)
            return None

    def _log_error(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)

    # -- logs ------------------------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        """Log a received request."""
        with self._lock:
            self._requests.append(request)

    def record_upstream(self, call: UpstreamCall) -> None:
        """Log a request the plugin sent to its model."""
        with self._lock:
            self._upstream.append(call)

    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._requests)

    def upstream_calls(self) -> list[UpstreamCall]:
        """A copy of the upstream log, oldest first."""
        with self._lock:
            return list(self._upstream)

    def errors(self) -> list[BaseException]:
        """A copy of the model's errors, oldest first."""
        with self._lock:
            return list(self._errors)

    def clear_logs(self) -> None:
        """Forget every logged request, upstream call and error."""
        with self._lock:
            self._requests.clear()
            self._upstream.clear()
            self._errors.clear()
