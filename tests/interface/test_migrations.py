"""OPS-4: each service's migrations build exactly the schema its code declares, and rerun safely."""
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from platform_kit import manifest, migrate
from platform_kit.tables import kernel_metadata


@pytest.mark.parametrize("service", migrate.services())
def test_OPS4_migrations_build_exactly_the_declared_schema(service, test_database_urls):
    service_metadata = importlib.import_module(f"{manifest.load().service(service).package}.adapters.orm").metadata
    engine = create_engine(test_database_urls[service])
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, [service_metadata, kernel_metadata])
    engine.dispose()
    assert differences == [], f"{service}: the migrations and the models disagree: {differences}"


@pytest.mark.parametrize("service", migrate.services())
def test_OPS4_running_the_migrations_again_changes_nothing(service, test_database_urls):
    migrate.upgrade(service, test_database_urls[service])
    migrate.upgrade(service, test_database_urls[service])
