"""TPL-3, TPL-11: structural rules of a flow, every violation reported at once."""
from template_svc.domain.flow import Node, structural_violations


def test_TPL11_a_valid_flow_has_no_violation():
    nodes = [Node("a", "assign_provider", "Assign"), Node("w", "generic", "Work"),
             Node("c", "complete_project", "Complete")]
    assert structural_violations(nodes) == []


def test_TPL11_every_violation_is_reported_at_once_in_plain_words():
    nodes = [Node("w", "generic", "Work"), Node("a", "assign_provider", "Assign"),
             Node("o", "assign_order", "Dispatch"), Node("w", "confirm", "Confirm")]
    problems = structural_violations(nodes)
    assert "The first node must be 'assign provider'." in problems
    assert "The last node must be 'complete project'." in problems
    assert any("can only be the first node" in p for p in problems)
    assert any("must name the role" in p for p in problems)
    assert "The node key 'w' is used more than once." in problems


def test_TPL3_an_empty_flow_is_refused():
    assert structural_violations([])
