"""Model resolution and the provider's 2024 get_model() semantics."""

from __future__ import annotations

import pytest

from chatgpt4o import DEFAULT_MODEL, Chatgpt4o, ModelError
from chatgpt4o._models import resolve_model


def test_default_alias_and_canonical_names() -> None:
    assert DEFAULT_MODEL == "gpt-4o-mini-2024-07-18"
    assert resolve_model(None) == DEFAULT_MODEL
    assert resolve_model("") == DEFAULT_MODEL
    assert resolve_model("gpt-4o-mini") == DEFAULT_MODEL
    assert resolve_model(DEFAULT_MODEL) == DEFAULT_MODEL


def test_unknown_model_lists_the_valid_ones() -> None:
    with pytest.raises(ModelError) as info:
        resolve_model("gpt-5")
    assert "gpt-5" in str(info.value)
    assert "gpt-4o-mini-2024-07-18" in str(info.value)
    assert "gpt-4o-mini" in info.value.valid
    assert isinstance(info.value, ValueError)


def test_provider_model_surface() -> None:
    assert Chatgpt4o.default_model == DEFAULT_MODEL
    assert Chatgpt4o.get_models() == ["gpt-4o-mini-2024-07-18"]
    assert Chatgpt4o.model_aliases == {"gpt-4o-mini": "gpt-4o-mini-2024-07-18"}
    assert Chatgpt4o.get_model("") == DEFAULT_MODEL
    assert Chatgpt4o.get_model("gpt-4o-mini") == DEFAULT_MODEL
    with pytest.raises(ModelError):
        Chatgpt4o.get_model("claude")
