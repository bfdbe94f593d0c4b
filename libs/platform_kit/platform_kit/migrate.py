"""Create each service's database if missing and migrate it to head (forwards only).

    python -m platform_kit.migrate --all
    python -m platform_kit.migrate SERVICE [SERVICE ...]

The services, their packages and database names come from the manifest (``platform_kit.manifest``).
Safe to run on every start and from several places at once: each service's upgrade holds a
PostgreSQL advisory lock, so concurrent runs queue instead of racing. The database URL of a
service comes from ``<NAME>_DATABASE_URL`` (default: the local server and the manifest's database name).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from platform_kit import manifest

log = logging.getLogger("platform_kit.migrate")


def services() -> tuple[str, ...]:
    return manifest.load().names


def database_url(service: str, env: dict | None = None) -> str:
    env = os.environ if env is None else env
    entry = manifest.load().service(service)
    return env.get(entry.database_url_key) or f"postgresql://postgres@127.0.0.1:5432/{entry.database}"


def migrations_dir(service: str) -> Path:
    package = importlib.import_module(manifest.load().service(service).package)
    return Path(package.__file__).resolve().parent.parent / "migrations"


def _on_server(url: str, statement: str, **params):
    """Run one statement on the server of ``url`` (its ``postgres`` database), outside a transaction."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            result = conn.execute(text(statement), params)
            return result.scalar() if result.returns_rows else None
    finally:
        admin.dispose()


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` when it does not exist; return True if created."""
    name = make_url(url).database
    if _on_server(url, "select 1 from pg_database where datname = :n", n=name):
        return False
    _on_server(url, f'create database "{name}"')
    return True


def drop_database(url: str) -> None:
    """Drop the database named in ``url`` if it exists, closing its connections."""
    _on_server(url, f'drop database if exists "{make_url(url).database}" with (force)')


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(service)))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(service: str, url: str | None = None) -> None:
    url = url or database_url(service)
    created = ensure_database(url)
    engine = create_engine(url)
    lock = zlib.crc32(f"migrate:{service}".encode())
    try:
        with engine.connect() as conn:
            conn.execute(text("select pg_advisory_lock(:k)"), {"k": lock})
            try:
                cfg = alembic_config(service, url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(text("select pg_advisory_unlock(:k)"), {"k": lock})
                conn.commit()
    finally:
        engine.dispose()
    log.info("%s: database %s, migrated to head", service, "created" if created else "present")


def make_revision(service: str, message: str) -> None:
    """Developers: autogenerate the next revision against a scratch database at head."""
    scratch = f"{database_url(service)}_autogen"
    drop_database(scratch)
    upgrade(service, scratch)
    command.revision(alembic_config(service, scratch), message=message, autogenerate=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platform_kit.migrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="*", choices=[[], *services()], metavar="SERVICE")
    parser.add_argument("--all", action="store_true", help="every service")
    parser.add_argument("--no-topology", action="store_true",
                        help="migrate the databases only; do not declare queues on the broker (AMQP_URI)")
    parser.add_argument("--make-revision", metavar="MESSAGE",
                        help="developers: autogenerate a new revision of the one named service")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.make_revision:
        if len(args.services) != 1:
            parser.error("--make-revision takes exactly one service")
        make_revision(args.services[0], args.make_revision)
        return 0
    names = services() if args.all else args.services
    if not names:
        parser.error("name at least one service or --all")
    for name in names:
        upgrade(name)
    if not args.no_topology:
        for name in names:
            declare_topology(name)
    return 0


def declare_topology(service: str, amqp_uri: str | None = None) -> list[str]:
    """Declare the service's exchange and every queue it consumes from, before any of it runs
    (platform_kit.topology): events published before a subscriber first starts wait in its queue."""
    from platform_kit import topology

    uri = amqp_uri or os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    declared = topology.declare(uri, topology.service_class(manifest.load().service(service).module))
    log.info("%s: declared %d queues on the broker", service, len(declared))
    return declared


if __name__ == "__main__":
    sys.exit(main())
