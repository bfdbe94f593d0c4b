"""PRJ-11: what of a dashboard is settled at 00:00 is read once per owner and day; the rest is live."""
import uuid
from datetime import UTC, date, datetime, timedelta

from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, VENDOR_ADMIN
from platform_kit.testing import FakeUnitOfWork
from project_svc import handlers


class CountingProjects:
    """Answers like the repository and counts what was asked."""

    def __init__(self):
        self.asked: list[str] = []
        self.created: dict[date, int] = {date(2026, 11, 21): 4}
        self.breakdown = {"in_progress": 3}

    def average_cycle_seconds(self, owner, since, until):
        self.asked.append("cycle")
        return 1.5 * 86_400

    def created_per_local_day(self, owner, since, until, tz):
        self.asked.append("created")
        return dict(self.created)

    def status_breakdown(self, owner, since, until):
        self.asked.append("breakdown")
        return dict(self.breakdown)

    def saturation(self, owner):
        self.asked.append("saturation")
        return [{"product_id": "p", "product_name": "", "product_code": "", "provider_id": "q", "held": 5,
                 "max_held": 10}]


def test_PRJ11_settled_figures_are_read_once_a_day_and_the_breakdown_and_saturation_every_time():
    vendor = Actor("u", f"v-{uuid.uuid4().hex[:8]}", ISV, (VENDOR_ADMIN,))
    projects = CountingProjects()
    uow = FakeUnitOfWork("project", projects=projects)
    noon = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    first = handlers.dashboard(vendor, "vendor", uow, now=noon)
    assert projects.asked.count("cycle") == 1 and first["new_per_day"][-1]["count"] == 4
    projects.asked.clear()
    projects.breakdown = {"in_progress": 2, "completed": 1}
    later = handlers.dashboard(vendor, "vendor", uow, now=noon + timedelta(hours=3))
    assert "cycle" not in projects.asked and "created" not in projects.asked
    assert projects.asked.count("breakdown") == 2 and "saturation" in projects.asked
    assert later["status_30_days"]["delivered"] == 1 and later["new_per_day"] == first["new_per_day"]
    projects.asked.clear()
    handlers.dashboard(vendor, "vendor", uow, now=noon + timedelta(days=1))  # the next day: read again
    assert projects.asked.count("cycle") == 1


def test_PRJ11_minutes_after_midnight_the_settled_figures_are_not_kept_yet():
    """A transaction that stamped 23:59:59 may commit just after midnight: the first minutes read anew."""
    vendor = Actor("u", f"v-{uuid.uuid4().hex[:8]}", ISV, (VENDOR_ADMIN,))
    projects = CountingProjects()
    uow = FakeUnitOfWork("project", projects=projects)
    just_after = datetime(2026, 11, 21, 16, 1, tzinfo=UTC)  # 00:01 in Shanghai
    handlers.dashboard(vendor, "vendor", uow, now=just_after)
    projects.created[date(2026, 11, 21)] = 5
    again = handlers.dashboard(vendor, "vendor", uow, now=just_after + timedelta(seconds=30))
    assert projects.asked.count("cycle") == 2 and again["new_per_day"][-1]["count"] == 5
