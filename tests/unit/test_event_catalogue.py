"""GW-5: the event catalogue document says exactly what the code publishes and who listens."""
from pathlib import Path

from platform_kit import catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "EVENTS.md"


def test_GW5_docs_events_md_is_generated_from_the_code():
    assert DOC.read_text() == catalogue.render(), (
        "docs/EVENTS.md is stale: run `.venv/bin/python -m platform_kit.catalogue > docs/EVENTS.md`")


def test_GW5_every_handled_event_is_in_the_catalogue():
    from platform_kit import contracts

    published = {c.event_type for c in contracts.all_contracts()}
    assert set(catalogue.listeners()) <= published
