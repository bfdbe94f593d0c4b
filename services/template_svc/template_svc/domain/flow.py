"""Service-flow nodes and the structural rules every template obeys (TPL-3, TPL-11).

Pure Python: no database, no nameko.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from platform_contracts.nodes import NODE_KINDS


@dataclass(frozen=True)
class Node:
    key: str
    kind: str
    name: str
    role: str | None = None
    options: dict = field(default_factory=dict)


def structural_violations(nodes: list[Node]) -> list[str]:
    """Every violation at once, in words a vendor understands (TPL-11)."""
    problems: list[str] = []
    if not nodes:
        return ["The flow has no nodes: it must start with 'assign provider' and end with 'complete project'."]
    if nodes[0].kind != "assign_provider":
        problems.append("The first node must be 'assign provider'.")
    if nodes[-1].kind != "complete_project":
        problems.append("The last node must be 'complete project'.")
    for position, node in enumerate(nodes, start=1):
        if node.kind not in NODE_KINDS:
            problems.append(f"Node {position} ('{node.name}') has an unknown kind '{node.kind}'.")
        if node.kind == "assign_provider" and position != 1:
            problems.append(f"Node {position} ('{node.name}'): 'assign provider' can only be the first node.")
        if node.kind == "complete_project" and position != len(nodes):
            problems.append(f"Node {position} ('{node.name}'): 'complete project' can only be the last node.")
        if node.kind == "assign_order" and not node.role:
            problems.append(f"Node {position} ('{node.name}'): 'assign order' must name the role to dispatch to.")
    keys = [n.key for n in nodes]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"The node key '{key}' is used more than once.")
    return problems
