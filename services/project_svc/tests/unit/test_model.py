"""PRJ-1, PRJ-2: how a project walks its flow, without broker or database."""
from datetime import UTC, datetime

import pytest

from project_svc.domain.model import IN_PROGRESS, QUEUED, Project, ProjectStateError

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
NODES = [
    {"key": "assign", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "req", "kind": "submit_requirements", "name": "Submit requirements"},
    {"key": "done", "kind": "complete_project", "name": "Complete project"},
]


def new_project(nodes=NODES) -> Project:
    return Project(id="p", order_id="o", product_id="prod", vendor_id="v", customer_id="c",
                   template_id="t", template_version=1, nodes=list(nodes))


def test_PRJ1_a_new_project_stands_at_assign_provider():
    project = new_project()
    reached = project.start(NOW)
    assert reached["node_kind"] == "assign_provider" and reached["round"] == 1
    assert project.status == IN_PROGRESS and project.log[0].action == "created"


def test_PRJ1_a_flow_that_does_not_start_with_assign_provider_is_refused():
    with pytest.raises(ProjectStateError):
        new_project(NODES[1:]).start(NOW)


def test_PRJ2_provider_assignment_moves_to_the_next_node_and_logs_it():
    project = new_project()
    project.start(NOW)
    reached = project.assign_provider("prov", "assign", 1, NOW)
    assert reached["node_key"] == "req" and reached["provider_id"] == "prov"
    assert [e.action for e in project.log] == ["created", "provider_assigned", "node_reached"]


def test_PRJ5_a_reply_for_another_round_or_a_passed_node_is_ignored():
    project = new_project()
    project.start(NOW)
    assert project.assign_provider("prov", "assign", 2, NOW) is None
    project.assign_provider("prov", "assign", 1, NOW)
    assert project.assign_provider("other", "assign", 1, NOW) is None
    assert project.provider_id == "prov"


def test_DSP3_a_queued_project_leaves_the_queue_when_a_provider_is_assigned():
    project = new_project()
    project.start(NOW)
    assert project.queue("assign", 1, "full", NOW) is True
    assert project.status == QUEUED
    assert project.queue("assign", 1, "full", NOW) is False
    project.assign_provider("prov", "assign", 1, NOW)
    assert project.status == IN_PROGRESS
