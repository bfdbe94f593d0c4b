"""ORG-7, PRJ-5 on the real database: the repository's SQL for lists, counts, "handled by me" and
exports admits exactly the projects that ``access.admits`` admits, one by one, for every capacity,
also after a change of provider (the SQL is built from the same Scope; this keeps the two equal)."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, ISV, PROVIDER_ADMIN, VENDOR_ADMIN, VENDOR_PROJECT_MANAGER
from project_svc import handlers
from project_svc.adapters.repository import ProjectRepository
from project_svc.domain.access import admits, scope_of
from project_svc.domain.model import Project

NODES = [{"key": "assign", "kind": "assign_provider", "name": "Assign"},
         {"key": "work", "kind": "generic", "name": "Work", "settings": {"side": "provider"}},
         {"key": "done", "kind": "complete_project", "name": "Done"}]
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


@pytest.fixture
def session(test_database_urls):
    engine = create_engine(test_database_urls["project"])
    with Session(engine) as session:
        yield session
        session.rollback()
    engine.dispose()


def test_ORG7_PRJ5_lists_counts_handled_and_exports_admit_exactly_what_the_domain_rule_admits(session):
    tag = uuid.uuid4().hex[:8]
    vendor, old, new, customer = (f"{k}-{tag}" for k in ("vendor", "old", "new", "cust"))
    repo, projects = ProjectRepository(session), []
    for n in range(6):
        project = Project(id=str(uuid.uuid4()), order_id=f"o-{uuid.uuid4()}", product_id="prod", vendor_id=vendor,
                          customer_id=customer, template_id="t", template_version=1, nodes=NODES,
                          created_at=NOW - timedelta(minutes=n), provider_id=old, current_index=1,
                          status="in_progress")
        repo.add_if_new(project)
        project.participants |= {f"eng-old-{tag}"} | ({f"eng-new-{tag}"} if n == 5 else set())
        repo.save(project)
        projects.append(project)
    for project in projects[:3]:  # moved to the new provider: the old one's employee handled them before
        project.provider_id = new
        repo.save(project)
    session.flush()
    actors = [Actor(f"eng-old-{tag}", old, ISV, ("engineer",)), Actor(f"eng-new-{tag}", new, ISV, ("engineer",)),
              Actor(f"adm-old-{tag}", old, ISV, (PROVIDER_ADMIN,)),
              Actor(f"adm-new-{tag}", new, ISV, (PROVIDER_ADMIN,)), Actor(f"ven-{tag}", vendor, ISV, (VENDOR_ADMIN,)),
              Actor(f"pm-{tag}", vendor, ISV, (VENDOR_PROJECT_MANAGER,)),
              Actor(f"c-{tag}", customer, CUSTOMER, ("customer",))]
    ours = {p.id for p in projects}
    for actor in actors:
        expected = {p.id for p in projects if admits(scope_of(actor), p)}
        for query in ({"limit": 100}, {"limit": 100, "mine": "handled"}, {"limit": 100, "status": "in_progress"}):
            scope, f = handlers.list_filters(query, actor)
            page = repo.page(scope, f)
            listed = {r["id"] for r in page["items"]} & ours
            wanted = expected if query.get("mine") != "handled" else \
                {p.id for p in projects if p.id in expected and actor.user_id in p.participants}
            assert listed == wanted, (actor, query)
            assert {r["id"] for r in repo.stream(scope, f)} & ours == wanted, (actor, query)
        # the unfiltered counts of a caller that only sees these projects are exactly the rule's
        if actor.org_id in (old, new):
            scope, f = handlers.list_filters({"limit": 100}, actor)
            assert repo.page(scope, f)["total"] == len(expected), actor
    # the old provider's employee handled all six; it keeps only those its organisation still delivers
    engineer = actors[0]
    assert {p.id for p in projects if admits(scope_of(engineer), p)} == {p.id for p in projects[3:]}
