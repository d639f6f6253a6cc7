"""Model names the sites serve, their aliases, and resolve_model()."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._exceptions import InvalidRequestTypeError, ModelError

__all__ = ["DEFAULT_MODEL", "MODELS", "MODEL_ALIASES", "resolve_model"]

DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"
MODELS: tuple[str, ...] = (DEFAULT_MODEL,)
MODEL_ALIASES: dict[str, str] = {"gpt-4o-mini": DEFAULT_MODEL}


def resolve_model(
    model: object,
    *,
    default: str = DEFAULT_MODEL,
    models: Sequence[str] = MODELS,
    aliases: Mapping[str, str] = MODEL_ALIASES,
) -> str:
    """Return the canonical model name for ``model``.

    ``None`` or ``""`` gives the default model, an alias gives its target, a known name itself.
    The site picks the model from its own settings (the wire protocol has no model field), so
    this only guards against typos and documents what the sites run. ``default``, ``models``
    and ``aliases`` let a provider subclass resolve against its own lists.

    Example::

        >>> resolve_model("gpt-4o-mini")
        'gpt-4o-mini-2024-07-18'

    Raises:
        ModelError: the name is not a known model or alias.
        InvalidRequestTypeError: ``model`` is not a str.
    """
    if model is None or model == "":
        return default
    if not isinstance(model, str):
        raise InvalidRequestTypeError(f"model: expected a str, got {type(model).__name__}")
    if model in models:
        return model
    if model in aliases:
        return aliases[model]
    raise ModelError(model, [*models, *aliases])
