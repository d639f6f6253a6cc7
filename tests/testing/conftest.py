"""Load the chatgpt4o pytest plugin here too, for runs where the package is not installed."""

from __future__ import annotations

from chatgpt4o.testing.pytest_plugin import (  # noqa: F401
    chatgpt4o_site,
    chatgpt4o_site_factory,
    pytest_configure,
)
