"""PRJ-3, PRJ-10, PRJ-11 on the real database: tabs with counts, filters, keyset pages, exports, dashboards."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit import paging
from platform_kit.testing import FakeUnitOfWork
from platform_kit.workcal import default_calendar
from project_svc import handlers
from project_svc.adapters import repository as project_repository
from project_svc.adapters.orm import ProjectRow
from project_svc.adapters.repository import ProjectRepository, SaturationRepository
from project_svc.domain.access import Scope
from project_svc.domain.model import STATUSES, Project
from project_svc.exceptions import CursorNotRecognised
from project_svc.schemas import DashboardQuerySchema

NODES = [{"key": "assign", "kind": "assign_provider", "name": "Assign"},
         {"key": "work", "kind": "generic", "name": "Work", "settings": {"side": "provider"}},
         {"key": "done", "kind": "complete_project", "name": "Done"}]
TODAY = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai; midnight there is 16:00 UTC the day before


@pytest.fixture
def session(test_database_urls):
    engine = create_engine(test_database_urls["project"])
    with Session(engine) as session:
        yield session
        session.rollback()
    engine.dispose()


def make(session, vendor: str, provider: str, n: int, *, status="in_progress", created=TODAY, completed=None,
         late=False) -> list[str]:
    repo, ids = ProjectRepository(session), []
    for i in range(n):
        project = Project(id=str(uuid.uuid4()), order_id=f"o-{uuid.uuid4()}", product_id="prod", vendor_id=vendor,
                          customer_id=f"cust-{i % 3}", template_id="t", template_version=1, nodes=NODES,
                          product_code="ERP", created_at=created - timedelta(minutes=i), provider_id=provider,
                          current_index=1, status=status, completed_at=completed,
                          late_side="provider" if late else None, late_since=created if late else None)
        repo.add_if_new(project)
        ids.append(project.id)
    session.flush()
    return ids


def test_PRJ10_keyset_pages_walk_every_row_once_in_order_with_tab_counts_and_filters(session):
    vendor, provider = f"v-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
    running = make(session, vendor, provider, 45)
    make(session, vendor, provider, 5, status="paused")
    make(session, vendor, None, 3, status="queued")
    repo, scope = ProjectRepository(session), Scope(vendor_of=vendor)
    first = repo.page(scope, {"status": "in_progress", "limit": 10})
    assert first["total"] == 45 and first["counts_capped"] is False
    assert first["counts"] == {"in_progress": 45, "paused": 5, "queued": 3, "completed": 0, "cancelled": 0}
    seen, page = [row["id"] for row in first["items"]], first
    while page["next_cursor"]:
        page = repo.page(scope, {"status": "in_progress", "limit": 10, "cursor": page["next_cursor"]})
        assert page["counts"] is None, "deep pages do not count the tab again"
        seen += [row["id"] for row in page["items"]]
    assert seen == running
    by_customer = repo.page(scope, {"customer_id": "cust-1", "limit": 100})
    assert by_customer["total"] == 15 + 2 + 1 and {r["customer_id"] for r in by_customer["items"]} == {"cust-1"}
    oldest_first = repo.page(scope, {"status": "in_progress", "sort": "created_at", "limit": 3})
    assert [r["id"] for r in oldest_first["items"]] == running[::-1][:3]
    assert repo.page(Scope(provider_of="someone-else"), {"limit": 10})["total"] == 0
    assert [r["id"] for r in repo.stream(scope, {"status": "in_progress"}, batch=7)] == running


@pytest.mark.parametrize("sort", ["completed_at", "-completed_at"])
def test_PRJ10_keyset_pages_by_completion_walk_every_row_once_open_projects_included(session, sort):
    """Open projects have no completed_at: NULL in the cursor's key used to end the walk early."""
    vendor, provider = f"v-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
    ids = make(session, vendor, provider, 5)
    ids += make(session, vendor, provider, 5, status="completed", completed=TODAY)
    repo, scope = ProjectRepository(session), Scope(vendor_of=vendor)
    page = repo.page(scope, {"sort": sort, "limit": 3})
    seen = [row["id"] for row in page["items"]]
    while page["next_cursor"]:
        page = repo.page(scope, {"sort": sort, "limit": 3, "cursor": page["next_cursor"]})
        seen += [row["id"] for row in page["items"]]
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


def test_PRJ10_q_finds_projects_by_prefix_or_part_of_order_id_product_and_customer_name(session):
    vendor, tag = f"v-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:6]
    repo = ProjectRepository(session)
    found = []
    for order_id, product, customer in ((f"ORD-{tag}-1", "ERP 安装", "杭州云帆科技"),
                                        (f"ORD-{tag}-2", "CRM 部署", "上海海纳"),
                                        (f"X-{tag}-3", "ERP 培训", "北京云帆")):
        project = Project(id=str(uuid.uuid4()), order_id=order_id, product_id="prod", vendor_id=vendor,
                          customer_id="c", template_id="t", template_version=1, nodes=NODES, product_name=product,
                          customer_name=customer, created_at=TODAY, current_index=1)
        repo.add_if_new(project)
        found.append(project.id)
    session.flush()
    scope = Scope(vendor_of=vendor)

    def ids(q):
        return {r["id"] for r in repo.page(scope, {"q": q, "limit": 50})["items"]}

    assert ids(f"ord-{tag}") == set(found[:2]), "prefix of the order id, any case"
    assert ids(f"{tag}-3") == {found[2]}, "part of the order id"
    assert ids("erp") == {found[0], found[2]} and ids("部署") == {found[1]}
    assert ids("云帆") == {found[0], found[2]}, "part of the customer's name"
    assert ids("100%") == set() and ids("_") == set(), "LIKE wildcards are plain characters"


def exact_counts(session, scope: Scope) -> dict:
    repo = ProjectRepository(session)
    visible = repo._visible(select(ProjectRow.id), scope).whereclause
    counted = repo._status_counts(*([] if visible is None else [visible]))
    return {status: counted.get(status, 0) for status in STATUSES}


def test_PRJ3_tab_counts_follow_every_change_of_status_and_provider_for_each_owner(session):
    vendor, provider, other = (f"{kind}-{uuid.uuid4().hex[:8]}" for kind in "vpq")
    repo = ProjectRepository(session)
    before = repo.page(Scope(everything=True), {"limit": 1})["counts"]
    moving, *_ = make(session, vendor, None, 3, status="queued")
    project = repo.get(moving, for_update=True)
    project.status, project.provider_id = "in_progress", provider
    repo.save(project)
    project = repo.get(moving, for_update=True)
    project.provider_id = other  # change provider (PRJ-5): the project leaves the old provider's tabs
    repo.save(project)
    everything = repo.page(Scope(everything=True), {"limit": 1})["counts"]
    assert everything["queued"] - before["queued"] == 2 and everything["in_progress"] - before["in_progress"] == 1
    assert repo.page(Scope(vendor_of=vendor), {"limit": 1})["counts"] == {
        "queued": 2, "in_progress": 1, "paused": 0, "completed": 0, "cancelled": 0}
    assert repo.page(Scope(provider_of=provider), {"limit": 1})["total"] == 0
    assert repo.page(Scope(provider_of=other), {"limit": 1})["counts"]["in_progress"] == 1
    for scope in (Scope(vendor_of=vendor), Scope(provider_of=other), Scope(customer_of="cust-0")):
        assert repo.page(scope, {"limit": 1})["counts"] == exact_counts(session, scope)


def test_PRJ2_an_isv_user_counts_what_it_sells_buys_and_operates_once_each(session):
    """The union of the caller's capacities: a project both sold and bought by the organisation, or
    sold and operated by the user, is one row of the list and one in its tab count."""
    org, user = f"isv-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    repo = ProjectRepository(session)
    make(session, org, None, 4)                               # sold
    for project_id in make(session, f"v-{uuid.uuid4().hex[:8]}", org, 3, status="paused"):  # delivered
        project = repo.get(project_id, for_update=True)
        project.participants = {user}                          # ... and operated by the user
        repo.save(project)
    bought = make(session, f"v-{uuid.uuid4().hex[:8]}", None, 2, status="completed")
    for project_id in bought:                                  # bought (ORG-5)
        session.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(customer_id=org))
    sold_and_bought = make(session, org, None, 1, status="cancelled")[0]
    session.execute(update(ProjectRow).where(ProjectRow.id == sold_and_bought).values(customer_id=org))
    scope = Scope(vendor_of=org, provider_of=org, customer_of=org, operator_user=user)
    counts = repo.page(scope, {"limit": 100})
    assert counts["counts"] == {"in_progress": 4, "paused": 3, "completed": 2, "cancelled": 1, "queued": 0}
    assert counts["total"] == len(counts["items"]) == 10
    everything = [row["id"] for row in counts["items"]]
    walked, page = [], {"next_cursor": None}
    while True:  # the merged walk of the capacities: every row once, newest first, also by cursor
        page = repo.page(scope, {"limit": 3, **({"cursor": page["next_cursor"]} if page["next_cursor"] else {})})
        walked += [row["id"] for row in page["items"]]
        if not page["next_cursor"]:
            break
    assert walked == everything
    assert [r["id"] for r in repo.page(scope, {"limit": 4, "offset": 4})["items"]] == everything[4:8]
    assert [r["id"] for r in repo.page(scope, {"limit": 20, "sort": "created_at"})["items"]] == everything[::-1]
    assert [r["id"] for r in repo.page(scope, {"limit": 20, "status": "paused"})["items"]] == [
        row["id"] for row in counts["items"] if row["status"] == "paused"]


def test_PRJ10_a_filtered_list_counts_each_tab_up_to_the_cap_and_says_so(session, monkeypatch):
    vendor = f"v-{uuid.uuid4().hex[:8]}"
    make(session, vendor, None, 6, late=True)
    make(session, vendor, None, 2, status="paused", late=True)
    make(session, vendor, None, 4)
    repo = ProjectRepository(session)
    monkeypatch.setattr(project_repository, "COUNT_CAP", 5)
    late = repo.page(Scope(vendor_of=vendor), {"late": True, "status": "in_progress", "limit": 50})
    assert late["counts"] == {"in_progress": 5, "paused": 2, "queued": 0, "completed": 0, "cancelled": 0}
    assert late["counts_capped"] is True and late["total"] == 5 and len(late["items"]) == 6
    monkeypatch.setattr(project_repository, "COUNT_CAP", 10_000)
    exact = repo.page(Scope(vendor_of=vendor), {"late": True, "limit": 50})
    assert exact["counts"]["in_progress"] == 6 and exact["counts_capped"] is False and exact["total"] == 8


def test_PRJ11_dashboard_counts_up_to_midnight_in_shanghai_with_cycle_breakdown_and_saturation_bands(session):
    vendor, provider = f"v-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
    yesterday = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 on the 21st in Shanghai
    make(session, vendor, provider, 2, created=TODAY)                              # today: not counted
    make(session, vendor, provider, 3, created=yesterday)
    make(session, vendor, provider, 1, created=yesterday, late=True)
    make(session, vendor, provider, 2, status="completed", created=yesterday - timedelta(days=3),
         completed=yesterday - timedelta(days=1, hours=12))                         # 1.5-day cycles
    make(session, vendor, provider, 1, status="cancelled", created=yesterday - timedelta(days=40))
    saturation = SaturationRepository(session)
    for other, held in ((provider, 9), (f"{provider}-b", 5), (f"{provider}-c", 1)):
        saturation.set({"product_id": "prod", "provider_id": other, "vendor_id": vendor, "held": held,
                        "max_held": 10})
    session.flush()
    uow = FakeUnitOfWork("project", projects=ProjectRepository(session))
    board = handlers.dashboard(Actor("u", vendor, ISV, (VENDOR_ADMIN,)), "vendor", uow, now=TODAY)
    assert board["as_of"] == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert board["average_completion_days"] == 1.5
    assert board["new_per_day"][-1] == {"day": "2026-11-21", "count": 4}
    assert board["new_per_day"][-4] == {"day": "2026-11-18", "count": 2} and len(board["new_per_day"]) == 7
    assert board["new_per_month"][-1] == {"month": "2026-11", "count": 6}
    assert [m["month"] for m in board["new_per_month"]] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
                                                             "2026-11"]
    assert board["status_30_days"] == {"new": 6, "delivered": 2, "in_progress": 3, "late": 1, "paused": 0,
                                       "cancelled": 0}
    assert board["status_60_days"]["cancelled"] == 1 and board["status_60_days"]["new"] == 7
    assert [s["band"] for s in board["saturation"]] == ["red", "blue", "green"]
    as_provider = handlers.dashboard(Actor("u", provider, ISV, (PROVIDER_ADMIN,)), "provider", uow, now=TODAY)
    assert as_provider["status_30_days"]["new"] == 6 and [s["held"] for s in as_provider["saturation"]] == [9]
    assert default_calendar().covers(2026)


@pytest.mark.parametrize("cursor", ["not-base64!", paging.encode_cursor([1, 2]), paging.encode_cursor(["x", "y"]),
                                    paging.encode_cursor(["2026-01-01T00:00:00", "id"]),
                                    paging.encode_cursor([None, "a\x00b"]), "W10="])
def test_PRJ10_a_cursor_this_list_did_not_give_is_refused_as_a_whole_never_sent_to_sql(session, cursor):
    with pytest.raises(CursorNotRecognised) as refused:
        ProjectRepository(session).page(Scope(vendor_of="v-any"), {"limit": 10, "cursor": cursor})
    assert refused.value.status == 422 and "cursor" in refused.value.fields


def test_PRJ11_a_time_zone_nobody_knows_is_bad_input_naming_it():
    with pytest.raises(ValidationError) as refused:
        DashboardQuerySchema().load({"time_zone": "Mars/Olympus_Mons"})
    assert "time_zone" in refused.value.messages
    assert DashboardQuerySchema().load({"time_zone": "Europe/Berlin"})["time_zone"] == "Europe/Berlin"


def test_PRJ10_a_filter_time_with_an_offset_postgresql_does_not_take_or_before_year_one_utc_still_filters(session):
    repo, scope = ProjectRepository(session), Scope(vendor_of=f"v-{uuid.uuid4().hex[:8]}")
    far = datetime.fromisoformat("0765-07-20T14:14:45.814566-20:55")
    first = datetime.fromisoformat("0001-01-01T00:00:00+01:00")
    assert repo.page(scope, {"created_to": far, "created_from": first, "limit": 10})["total"] == 0


def test_PRJ3_recounting_after_a_bulk_load_makes_every_owners_counts_exact_again(session):
    vendor = f"v-{uuid.uuid4().hex[:8]}"
    make(session, vendor, None, 2)
    session.execute(update(ProjectRow).where(ProjectRow.vendor_id == vendor).values(status="paused"))  # bypassed
    repo = ProjectRepository(session)
    assert repo.page(Scope(vendor_of=vendor), {"limit": 1})["counts"]["in_progress"] == 2
    repo.recount_tabs()
    for scope in (Scope(vendor_of=vendor), Scope(everything=True), Scope(customer_of="cust-1")):
        assert repo.page(scope, {"limit": 1})["counts"] == exact_counts(session, scope)
