"""What a dispatch reply costs project_svc in round trips, with every guarantee kept (they dominated its profile):
the event claimed once, the project locked, the version checked, the outbox and the node's
deadline written in the same transaction."""
import uuid
from datetime import date, timedelta

import pytest
from nameko import config
from sqlalchemy import create_engine, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from platform_kit.clock import utcnow
from platform_kit.db import UnitOfWork
from platform_kit.tables import deadlines, outbox_events, processed_events
from project_svc import handlers
from project_svc.adapters.orm import ProjectRow, SaturationRow
from project_svc.service import ProjectService

NODES = [
    {"key": "assign", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "engineer", "kind": "assign_order", "name": "Assign engineer",
     "settings": {"role": "engineer", "rule": "provider_first"}},
    {"key": "work", "kind": "generic", "name": "Work", "role": "engineer", "settings": {"timeout_days": 2}},
    {"key": "done", "kind": "complete_project", "name": "Complete"},
]


@pytest.fixture
def db(platform_config):
    engine = create_engine(config["PROJECT_DATABASE_URL"])
    statements: list[str] = []
    sa_event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *a: statements.append(sql))

    def uow() -> UnitOfWork:
        return UnitOfWork(Session(engine, expire_on_commit=False), "project", ProjectService.db.repositories)

    yield engine, statements, uow
    engine.dispose()


def new_project(uow) -> str:
    product_id = f"prod-{uuid.uuid4().hex[:8]}"
    work = uow()
    handlers.product_template_bound({"event_id": str(uuid.uuid4())}, {
        "product_id": product_id, "vendor_id": "v", "product_code": "ERP", "product_name": "ERP",
        "template_id": "t1", "template_name": "T", "template_version": 1, "nodes": NODES}, work)
    project, _ = handlers.create_from_purchase({"order_id": f"o-{uuid.uuid4()}", "product_id": product_id,
                                                "customer_id": "c"}, work)
    work.session.close()
    return project.id


def reply(uow, handler, data: dict, event_id: str | None = None) -> None:
    work = uow()
    try:
        handler({"event_id": event_id or str(uuid.uuid4())}, data, work)
    finally:
        work.session.close()


def test_PRJ2_a_dispatch_reply_is_one_load_one_save_the_outbox_and_the_deadline(db):
    engine, statements, uow = db
    first, second = new_project(uow), new_project(uow)
    reply(uow, handlers.provider_assigned, {"project_id": first, "provider_id": "p", "node_key": "assign",
                                            "round": 1})  # the process reads the calendar once
    statements.clear()
    reply(uow, handlers.provider_assigned, {"project_id": second, "provider_id": "p", "node_key": "assign",
                                            "round": 1})
    # claim + lock + log + participants + calendar version | UPDATE + log + tab counts | outbox
    assert len(statements) == 3, statements
    load, save, outbox = statements
    assert "insert into processed_events" in load
    assert "for update of p" in load and "calendar_version" in load
    assert "UPDATE projects" in save and "INSERT INTO flow_log" in save and "project_tab_counts" in save
    assert outbox.startswith("INSERT INTO outbox_events")
    assert not [s for s in statements if "calendar_days" in s], "the calendar is kept by the process"

    statements.clear()
    event_id = str(uuid.uuid4())
    assigned = {"project_id": second, "user_id": "eng-1", "role": "engineer", "node_key": "engineer", "round": 1}
    reply(uow, handlers.employee_assigned, assigned, event_id)
    # the work node's clock starts: its deadline is written with the outbox, at commit
    assert len(statements) == 4, statements
    assert "project_participants" in statements[1] and statements[3].startswith("INSERT INTO deadlines")

    statements.clear()
    reply(uow, handlers.employee_assigned, assigned, event_id)      # redelivered: one statement, no effect
    assert len(statements) == 1
    with engine.connect() as conn:
        row = conn.execute(select(ProjectRow.version, ProjectRow.current_node_key, ProjectRow.current_operator_id)
                           .where(ProjectRow.id == second)).one()
        assert (row.current_node_key, row.current_operator_id) == ("work", "eng-1")
        assert row.version == 3, "inserted 1, provider 2, engineer 3: the redelivery changed nothing"
        assert conn.execute(select(deadlines.c.payload).where(deadlines.c.key == second)).scalar_one()[
            "node_key"] == "work"
        assert conn.execute(select(processed_events.c.handler).where(processed_events.c.event_id == event_id)
                            ).scalars().all() == ["project.employee_assigned"]
        types = conn.execute(select(outbox_events.c.event_type).where(
            outbox_events.c.envelope["data"]["project_id"].astext == second).order_by(outbox_events.c.seq)).scalars()
        assert list(types).count("node_reached") == 3, "assign, engineer, work: each once"


def test_PRJ1_a_purchase_is_the_flow_with_the_calendar_version_the_insert_its_counts_its_log_and_outbox(db):
    engine, statements, uow = db
    new_project(uow)                                             # the process has read the calendar
    product_id = f"prod-{uuid.uuid4().hex[:8]}"
    work = uow()
    handlers.product_template_bound({"event_id": str(uuid.uuid4())}, {
        "product_id": product_id, "vendor_id": "v", "product_code": "ERP", "product_name": "ERP",
        "template_id": "t1", "template_name": "T", "template_version": 1, "nodes": NODES}, work)
    work.session.close()
    order = {"order_id": f"o-{uuid.uuid4()}", "product_id": product_id, "customer_id": "c"}
    statements.clear()
    work = uow()
    project, created = handlers.create_from_purchase(order, work)
    work.session.close()
    assert created and len(statements) == 5, statements
    flow, inserted, counts, log, outbox = statements
    assert "product_flows" in flow and "calendar_version" in flow
    assert inserted.startswith("INSERT INTO projects") and "project_tab_counts" in counts
    assert "flow_log" in log and outbox.startswith("INSERT INTO outbox_events")
    statements.clear()
    work = uow()
    again, created = handlers.create_from_purchase(order, work)  # the same order again: its project
    work.session.close()
    assert not created and again.id == project.id and again.log == project.log
    assert not [s for s in statements if s.startswith("INSERT INTO outbox_events")]


def test_ORG6_a_calendar_change_is_seen_by_the_next_reply_of_every_process(db):
    engine, statements, uow = db
    project_id = new_project(uow)
    reply(uow, handlers.provider_assigned, {"project_id": project_id, "provider_id": "p", "node_key": "assign",
                                            "round": 1})
    work = uow()
    today = utcnow().date()
    holidays = [today + timedelta(days=n) for n in range(1, 15)]
    for day in holidays:
        handlers.calendar_changed({"event_id": str(uuid.uuid4())}, {"day": day, "kind": "holiday", "name": "h"}, work)
    work.session.close()
    statements.clear()
    reply(uow, handlers.employee_assigned, {"project_id": project_id, "user_id": "eng-1", "role": "engineer",
                                            "node_key": "engineer", "round": 1})
    assert len([s for s in statements if "calendar_days" in s]) == 1, "the version moved: read once"
    with engine.connect() as conn:
        due = conn.execute(select(ProjectRow.due_at).where(ProjectRow.id == project_id)).scalar_one()
    assert due.date() > holidays[-1], "two working days after the 14 holidays"
    work = uow()
    for day in holidays:
        handlers.calendar_changed({"event_id": str(uuid.uuid4())}, {"day": day, "kind": None, "name": ""}, work)
    work.session.close()


def test_PRJ2_a_save_over_a_row_another_transaction_changed_is_refused(db):
    engine, statements, uow = db
    project_id = new_project(uow)
    work = uow()
    project = work.projects.get(project_id)                     # read without the lock
    with engine.begin() as conn:                                 # meanwhile another change commits
        conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(version=ProjectRow.version + 1))
    project.assign_provider("p", "assign", 1, utcnow(), work.calendar.calendar())
    with pytest.raises(StaleDataError):
        work.projects.save(project)
    work.session.close()


def test_the_kept_calendar_answers_like_a_fresh_read(db):
    engine, statements, uow = db
    work = uow()
    day = date(2031, 1, 6)
    handlers.calendar_changed({"event_id": str(uuid.uuid4())}, {"day": day, "kind": "holiday", "name": "h"}, work)
    fresh = uow()
    assert not fresh.calendar.calendar().is_working_day(day)
    handlers.calendar_changed({"event_id": str(uuid.uuid4())}, {"day": day, "kind": None, "name": ""}, work)
    again = uow()
    assert again.calendar.calendar().is_working_day(day)
    for w in (work, fresh, again):
        w.session.close()


def test_PRJ11_saturation_keeps_the_newest_figures_whatever_order_or_repetition_without_a_claim(db):
    engine, statements, uow = db
    product_id = f"prod-{uuid.uuid4().hex[:8]}"
    now = utcnow()

    def changed(held: int, seconds: int) -> tuple[dict, dict]:
        event = {"event_id": str(uuid.uuid4()), "occurred_at": (now + timedelta(seconds=seconds)).isoformat()}
        return event, {"product_id": product_id, "provider_id": "p", "vendor_id": "v", "held": held, "max_held": 10}

    newer, older = changed(5, 2), changed(4, 1)
    statements.clear()
    for event, data in (newer, older, newer):              # the newer one, an older one late, the newer again
        work = uow()
        handlers.saturation_changed(event, data, work)
        work.session.close()
    assert len(statements) == 3, "one statement each, no claim"
    with engine.connect() as conn:
        held = conn.execute(select(SaturationRow.held).where(SaturationRow.product_id == product_id)).scalar_one()
        claims = conn.execute(select(processed_events.c.event_id).where(
            processed_events.c.event_id.in_([newer[0]["event_id"], older[0]["event_id"]]))).all()
    assert held == 5 and claims == []
    work = uow()
    handlers.saturation_changed(*changed(6, 3), work)
    work.session.close()
    with engine.connect() as conn:
        assert conn.execute(select(SaturationRow.held).where(SaturationRow.product_id == product_id)).scalar_one() == 6
