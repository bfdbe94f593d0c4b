"""Init-container gate: wait until a service's database carries this image's migrations.

Migrations run in the `migrate` Job only (OPS-4: `python -m platform_kit.migrate --all`),
never in the replicas. Every replica of a service starts with this gate, so a pod whose
code is newer than its schema stays in `Init` (old pods keep serving) until the Job has
upgraded that database.

    python wait_for_migrations.py <service>        # e.g. dispatch

Reads `<SERVICE>_DATABASE_URL`; optional WAIT_TIMEOUT_SECONDS (600), WAIT_INTERVAL_SECONDS
(3), ALEMBIC_VERSION_TABLE (alembic_version), APP_ROOT (/app, where the image keeps
`services/<service>_svc/migrations/`). Exits 0 when the database is at (or beyond) every
head of this image's migration scripts, 1 on timeout: the kubelet then restarts the gate.
It never writes to the database and never logs the URL.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def log(service: str, level: str, message: str) -> None:
    sys.stdout.write(json.dumps({"level": level, "logger": "wait_for_migrations", "service": service,
                                 "message": message}) + "\n")
    sys.stdout.flush()


def schema_is_current(
    current: Iterable[str],
    heads: Iterable[str],
    lineage: Callable[[str], set[str] | None],
) -> tuple[bool, str]:
    """Decide whether the database revisions cover every head of the image.

    `lineage(rev)` returns rev and all its ancestors, or None when the image does not
    know rev (the database was migrated by a newer image: forward-only migrations keep
    the older code working, so that counts as current).
    """
    current = set(current)
    heads = set(heads)
    if not current:
        return False, "no migration applied yet"
    applied: set[str] = set()
    for rev in sorted(current):
        ancestors = lineage(rev)
        if ancestors is None:
            return True, f"database revision {rev} is newer than this image"
        applied |= ancestors
    missing = heads - applied
    if missing:
        return False, "waiting for revision(s) " + ", ".join(sorted(missing))
    return True, "database is at head " + ", ".join(sorted(heads))


def load_script(service: str, app_root: Path):
    """Alembic ScriptDirectory of the service in this image, or None if it has none.

    Same folder as platform_kit.migrate uses: `migrations/` beside the `<service>_svc`
    package, i.e. /app/services/<service>_svc/migrations in the image.
    """
    location = app_root / "services" / f"{service}_svc" / "migrations"
    if not location.is_dir():
        return None
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(location))
    return ScriptDirectory.from_config(config)


def lineage_from(script) -> Callable[[str], set[str] | None]:
    def lineage(rev: str) -> set[str] | None:
        try:
            return {r.revision for r in script.iterate_revisions(rev, "base")}
        except Exception:  # unknown revision: newer than this image
            return None

    return lineage


def current_revisions(url: str, version_table: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": version_table})
            return set(context.get_current_heads())
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(__doc__ or "")
        return 2
    service = argv[1]
    variable = f"{service.upper()}_DATABASE_URL"
    url = os.environ.get(variable)
    if not url:
        log(service, "error", f"{variable} is not set")
        return 2
    timeout = float(os.environ.get("WAIT_TIMEOUT_SECONDS", "600"))
    interval = float(os.environ.get("WAIT_INTERVAL_SECONDS", "3"))
    version_table = os.environ.get("ALEMBIC_VERSION_TABLE", "alembic_version")
    script = load_script(service, Path(os.environ.get("APP_ROOT", "/app")))
    if script is None:
        log(
            service,
            "warning",
            "no migrations folder in the image: waiting for any applied revision",
        )
        heads: set[str] = set()
        lineage: Callable[[str], set[str] | None] = lambda rev: {rev}  # noqa: E731
    else:
        heads = set(script.get_heads())
        lineage = lineage_from(script)

    deadline = time.monotonic() + timeout
    while True:
        try:
            ok, why = schema_is_current(current_revisions(url, version_table), heads, lineage)
        except Exception as exc:  # database not created yet, server still starting, ...
            first_line = (str(exc).strip().splitlines() or [""])[0]
            ok, why = False, f"database not ready: {type(exc).__name__}: {first_line}"
        log(service, "info", why)
        if ok:
            return 0
        if time.monotonic() >= deadline:
            log(service, "error", f"gave up after {timeout:.0f}s: is the migrate Job done?")
            return 1
        time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
