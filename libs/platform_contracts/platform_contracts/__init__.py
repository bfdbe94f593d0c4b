"""What the services promise each other, owned by the publisher of each fact.

- one module per emitting service (``project``, ``dispatch``, ...) registering its events with
  ``platform_kit.contracts.register``;
- ``roles``: organisation kinds and the platform's preset roles (identity's facts, ORG-2);
- ``actor``: who is calling, as it travels with every RPC and event (pure Python);
- ``nodes``: the node kinds of a service flow (template's facts, TPL-3).

The kernel finds this package through the ``platform_kit.contracts`` entry point and calls
``register_all()``; it never names a service itself.
"""
from __future__ import annotations

import importlib
import pkgutil

_PURE = {"roles", "actor", "nodes"}


def register_all() -> None:
    """Import every publisher's module, which registers its events."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _PURE and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
