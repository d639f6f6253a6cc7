"""Token counts for ``usage`` and ``max_tokens``: GPT-4o's ``o200k_base``, or an estimate (pure).

With the ``tokens`` extra (``pip install "chatgpt4o[serve,tokens]"``, which installs
``bpe-openai``: it carries its encodings, so nothing is downloaded at run time) text is counted
with ``o200k_base``, GPT-4o's own encoding. Without it, the count is an estimate: one token
per 4 ASCII characters (rounded up) plus one per other character, which is close for English
and errs high for other scripts. ``counter().name`` says which one this process uses.
"""

from __future__ import annotations

import importlib
import math
import warnings
from typing import Any, Optional

__all__ = ["ESTIMATE", "O200K", "TokenCounter", "counter", "estimate_tokens"]

O200K = "o200k_base"
ESTIMATE = "estimate"

_ASCII_CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """The documented estimate: ASCII characters / 4 rounded up, plus one per other character.

    Example::

        estimate_tokens("Hello, world")  # 3
    """
    ascii_chars = sum(1 for char in text if char < "\x80")
    return math.ceil(ascii_chars / _ASCII_CHARS_PER_TOKEN) + len(text) - ascii_chars


class TokenCounter:
    """Counts tokens and cuts text at a token count, with one encoding or the estimate.

    Args:
        encoding: a ``bpe_openai`` encoding, or None for the estimate.

    Attributes:
        name: ``"o200k_base"`` or ``"estimate"``.
    """

    def __init__(self, encoding: Optional[Any] = None) -> None:
        self._encoding = encoding
        self.name = O200K if encoding is not None else ESTIMATE

    def count(self, text: str) -> int:
        """The number of tokens in ``text``."""
        if self._encoding is None:
            return estimate_tokens(text)
        return len(self._encoding.encode_ordinary(text))

    def most(self, text: str) -> int:
        """A cheap bound no count of ``text`` exceeds (no token is shorter than a UTF-8 byte)."""
        if self._encoding is None:
            return len(text)
        return len(text.encode("utf-8", "surrogatepass"))

    def cut(self, text: str, limit: int) -> str:
        """The longest start of ``text`` of at most ``limit`` tokens.

        Example::

            counter().cut("one two three", 2)  # "one two" with o200k_base
        """
        if self._encoding is not None:
            tokens = self._encoding.encode_ordinary(text)
            if len(tokens) <= limit:
                return text
            head: bytes = self._encoding.decode_bytes(tokens[:limit])
            return head.decode("utf-8", "ignore")  # a character split across tokens is left out
        low, high = 0, len(text)  # the estimate grows with the length: bisect for the cut
        while low < high:
            middle = (low + high + 1) // 2
            if estimate_tokens(text[:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        return text[:low]


def _load() -> TokenCounter:
    try:
        with warnings.catch_warnings():  # its data loading warns of deprecated importlib calls
            warnings.simplefilter("ignore", DeprecationWarning)
            module = importlib.import_module("bpe_openai")
            return TokenCounter(module.get_encoding(O200K))
    except Exception:  # not installed, or unusable on this platform: the estimate
        return TokenCounter()


_COUNTER: list[TokenCounter] = []


def counter() -> TokenCounter:
    """This process's counter: ``o200k_base`` when ``bpe-openai`` loads, else the estimate.

    Loaded on first use (about half a second with ``bpe-openai``), then kept.
    """
    if not _COUNTER:
        _COUNTER.append(_load())
    return _COUNTER[0]
