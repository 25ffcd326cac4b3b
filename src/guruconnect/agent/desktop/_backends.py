"""Load a backend from an import string, ``"package.module:Attribute"`` (as uvicorn does)."""

from __future__ import annotations

import importlib
from typing import Any


class BackendUnavailable(Exception):
    """The backend cannot run here (missing library, no display...)."""


def import_from_string(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"import string {target!r} must be 'module:attribute'")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attribute!r}") from None
