"""Every event the platform publishes, one module per emitting service.

Importing this package registers them all (``platform_kit.contracts``).
"""
from platform_kit.catalog import dispatch, identity, project, template  # noqa: F401
