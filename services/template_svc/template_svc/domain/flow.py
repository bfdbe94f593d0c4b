"""The rules of a service flow (TPL-3..11), pure Python.

A flow arrives already shaped by the schemas (every node has ``key``, ``kind``, ``name``, typed
``settings`` with their defaults, ``reminders`` and, for containers, ``children``; see
``platform_contracts.nodes``). ``validate_flow`` then reports every rule it breaks at once, each
with the node's path and a sentence a vendor understands. A violation is *blocking* when the
data is wrong (a duplicate key, an unknown role or form, a bad timeout): saving refuses it. The
others mean "not finished yet" (no closing node, a missing role): a draft may be saved with
them as warnings, publishing refuses them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from platform_contracts import nodes as N
from platform_contracts.roles import CUSTOMER_MANAGER


@dataclass(frozen=True)
class Violation:
    """``blocking``: the data is wrong, even a draft refuses it. ``advice``: the flow runs, but
    probably not as its author meant; shown with every save, never refused. Neither: unfinished,
    a draft keeps it, publishing refuses it."""
    path: str
    message: str
    blocking: bool = False
    advice: bool = False


@dataclass(frozen=True)
class Catalogue:
    """What a flow may name: preset roles (identity), requirement forms (ours), message templates (notify)."""

    roles: frozenset[str]
    forms: dict[str, dict] = field(default_factory=dict)   # id -> {"id", "name", "fields"}
    message_templates: frozenset[str] = frozenset()


KIND_WORDS = {
    N.ASSIGN_PROVIDER: "assign provider", N.CONTAINER: "container", N.SUBMIT_REQUIREMENTS: "submit requirements",
    N.CONFIRM: "confirm", N.CLAIM_ORDER: "claim order", N.ASSIGN_ORDER: "assign order", N.GENERIC: "generic",
    N.COMPLETE_PROJECT: "complete project",
}


def flatten(nodes: list[dict]) -> list[tuple[str, dict]]:
    return list(N.walk(nodes))


def count_nodes(nodes: list[dict]) -> int:
    return sum(1 for _ in N.walk(nodes))


def _timeout_problem(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return "The timeout must be a number of days greater than 0."
    if abs(round(value * 10) - value * 10) > 1e-9:
        return "The timeout may have one decimal at most (e.g. 1.5 days)."
    return None


def _role_problems(at: str, settings: dict, needed: bool, what: str, catalogue: Catalogue) -> list[Violation]:
    role = settings.get("role")
    if not role:
        return [Violation(f"{at}.settings.role", f"Choose the role that {what}.")] if needed else []
    if role not in catalogue.roles:
        return [Violation(f"{at}.settings.role", f"'{role}' is not one of the platform's roles.", True)]
    return []


def _node_problems(at: str, node: dict, catalogue: Catalogue) -> list[Violation]:
    kind, s = node["kind"], node.get("settings") or {}
    found: list[Violation] = []
    if kind == N.SUBMIT_REQUIREMENTS:
        form_id = s.get("form_template_id")
        if not form_id:
            found.append(Violation(f"{at}.settings.form_template_id",
                                   "Choose the requirement form the customer fills in."))
        elif form_id not in catalogue.forms:
            found.append(Violation(f"{at}.settings.form_template_id", "This requirement form does not exist.", True))
    elif kind in (N.CONFIRM, N.GENERIC):
        provider_side = s.get("side") == N.PROVIDER_SIDE
        found += _role_problems(at, s, provider_side, "operates this node on the provider's side", catalogue)
    elif kind == N.ASSIGN_ORDER:
        found += _role_problems(at, s, True, "the order is dispatched to", catalogue)
    if kind == N.CONTAINER and not node.get("children"):
        found.append(Violation(f"{at}.children", "A container must hold at least one node."))
    if kind != N.CONTAINER and node.get("children"):
        found.append(Violation(f"{at}.children",
                               f"Only a container holds nodes; a {KIND_WORDS.get(kind, kind)} node cannot.",
                               True))
    problem = _timeout_problem(s.get("timeout_days"))
    if problem:
        found.append(Violation(f"{at}.settings.timeout_days", problem, True))
    for i, rule in enumerate(node.get("reminders") or []):
        rat = f"{at}.reminders[{i}]"
        name = rule.get("message_template")
        if name not in catalogue.message_templates:
            found.append(Violation(f"{rat}.message_template", f"There is no message template named '{name}'.", True))
        for j, receiver in enumerate(rule.get("receivers") or []):
            if not isinstance(receiver, str):
                continue  # the request schema names it
            role = receiver[5:] if receiver.startswith("role:") else None
            if role is None and receiver not in N.RECEIVERS:
                found.append(Violation(f"{rat}.receivers[{j}]", f"Unknown receiver '{receiver}': use one of "
                                       f"{', '.join(N.RECEIVERS)} or role:<role>.", True))
            elif role is not None and role not in catalogue.roles:
                found.append(Violation(f"{rat}.receivers[{j}]", f"'{role}' is not one of the platform's roles.", True))
        if not rule.get("receivers"):
            found.append(Violation(f"{rat}.receivers", "Name at least one receiver of the reminder."))
    return found


def _structure_problems(nodes: list[dict], path: str, depth: int, ancestors: tuple[str, ...]) -> list[Violation]:
    found: list[Violation] = []
    for i, node in enumerate(nodes):
        at = f"{path}[{i}]"
        if node["key"] in ancestors:
            found.append(Violation(f"{at}.key", f"A container cannot contain itself ('{node['key']}').", True))
            continue
        if depth > 1 and node["kind"] in (N.ASSIGN_PROVIDER, N.COMPLETE_PROJECT):
            found.append(Violation(f"{at}.kind", f"'{KIND_WORDS[node['kind']]}' cannot be inside a container."))
        if node.get("children"):
            if depth >= N.MAX_DEPTH:
                found.append(Violation(f"{at}.children", f"Containers nest at most {N.MAX_DEPTH} levels deep.", True))
            else:
                found += _structure_problems(node["children"], f"{at}.children", depth + 1, (*ancestors, node["key"]))
    return found


def validate_flow(nodes: list[dict], catalogue: Catalogue) -> list[Violation]:
    """Every violation of the flow at once, in document order of the nodes (TPL-11)."""
    if not nodes:
        return [Violation("nodes", "The flow has no nodes: it starts with 'assign provider' and ends with "
                                   "'complete project'.")]
    total = count_nodes(nodes)
    if total > N.MAX_NODES:
        return [Violation("nodes", f"A flow has at most {N.MAX_NODES} nodes; this one has {total}.", True)]
    found = _structure_problems(nodes, "nodes", 1, ())
    if nodes[0]["kind"] != N.ASSIGN_PROVIDER:
        found.append(Violation("nodes[0].kind", "The first node must be 'assign provider'."))
    if nodes[-1]["kind"] != N.COMPLETE_PROJECT:
        found.append(Violation(f"nodes[{len(nodes) - 1}].kind", "The last node must be 'complete project'."))
    seen: dict[str, str] = {}
    claim_seen = False
    steps = N.leaf_steps(nodes)
    step_index = {id(step): i for i, step in enumerate(steps)}
    dispatched_roles: set[str] = set()
    # a flow that dispatches to employees means its role nodes for them; without any dispatch (the
    # vendor delivering itself) the main account operates every node, as meant
    dispatching = any(step["kind"] in (N.ASSIGN_ORDER, N.CLAIM_ORDER) for step in steps)
    cyclic = {v.path[:-4] for v in found if v.message.startswith("A container cannot contain itself")}
    for at, node in flatten(nodes):
        if any(at.startswith(c) for c in cyclic):
            continue
        kind, s = node["kind"], node.get("settings") or {}
        if kind == N.ASSIGN_PROVIDER and at != "nodes[0]":
            found.append(Violation(f"{at}.kind", "'assign provider' can only be the first node."))
        if kind == N.COMPLETE_PROJECT and at != f"nodes[{len(nodes) - 1}]" and "children" not in at:
            found.append(Violation(f"{at}.kind", "'complete project' can only be the last node."))
        if node["key"] in seen:
            found.append(Violation(f"{at}.key", f"The key '{node['key']}' is already used by {seen[node['key']]}.",
                                   True))
        else:
            seen[node["key"]] = at
        if kind in (N.CONFIRM, N.COMPLETE_PROJECT) and s.get("allow_reject") and id(node) in step_index:
            if N.reject_target(steps, step_index[id(node)]) is None:
                found.append(Violation(f"{at}.settings.allow_reject", "Rejecting returns to the step just before, "
                                       "and no earlier step is done by a person: allow rejecting only after one."))
        found += _habit_warnings(at, node, dispatched_roles if dispatching else None, catalogue)
        if kind == N.ASSIGN_ORDER and s.get("role"):
            dispatched_roles.add(s["role"])
        if kind == N.CLAIM_ORDER:
            claim_seen = True
            dispatched_roles.add(CUSTOMER_MANAGER)  # the claimer holds the project for its role
        if kind == N.ASSIGN_ORDER and s.get("rule") == N.DEPARTMENT_FIRST and not claim_seen:
            found.append(Violation(f"{at}.settings.rule", "Department-first dispatch needs a 'claim order' node "
                                                          "before it (the claimer's department is used)."))
        found += _node_problems(at, node, catalogue)
    return sorted(found, key=lambda v: _order(v.path))


def _habit_warnings(at: str, node: dict, dispatched_roles: set[str] | None,
                    catalogue: Catalogue) -> list[Violation]:
    """Settings that save and run but do not do what their author meant: warnings of a draft,
    refusals of a publish like every other unfinished part."""
    kind, s = node["kind"], node.get("settings") or {}
    found: list[Violation] = []
    on_timeout = s.get("advance_on_timeout") or s.get("auto_confirm_on_timeout")
    if on_timeout and not s.get("timeout_days"):
        found.append(Violation(f"{at}.settings.timeout_days", "The node moves on when its time runs out, but it has "
                                                              "no timeout: set the days or turn the option off.",
                                 advice=True))
    if kind in (N.CONFIRM, N.GENERIC) and s.get("side") == N.CUSTOMER_SIDE and s.get("role"):
        found.append(Violation(f"{at}.settings.role", "The customer operates this node, so a provider role means "
                                                      "nothing here: remove the role or put the node on the "
                                                      "provider's side.", advice=True))
    if (dispatched_roles is not None and kind in (N.CONFIRM, N.GENERIC) and s.get("side") == N.PROVIDER_SIDE
            and s.get("role") in catalogue.roles and s["role"] not in dispatched_roles):
        found.append(Violation(f"{at}.settings.role", f"No 'assign order' before this node dispatches to "
                                                      f"'{s['role']}', so nobody of that role holds the project and "
                                                      "only the provider's main account can operate it: add an "
                                                      "'assign order' for the role before it, or choose the role "
                                                      "it dispatches to.", advice=True))
    return found


def _order(path: str) -> tuple:
    """Sort paths by node position (nodes[10] after nodes[9]), then by the rest."""
    parts: list = []
    for piece in path.replace("]", "").split("."):
        name, _, index = piece.partition("[")
        parts.append((name, int(index) if index.isdigit() else -1))
    return tuple(parts)


def node_name_at(nodes: list[dict], path: str) -> str | None:
    """The name of the node a path points into (``nodes[2].children[0].settings.role``)."""
    node, current = None, nodes
    for piece in path.split("."):
        name, _, index = piece.partition("[")
        index = index.rstrip("]")
        if name not in ("nodes", "children") or not index.isdigit():
            break
        if not isinstance(current, list) or int(index) >= len(current) or not isinstance(current[int(index)], dict):
            break
        node = current[int(index)]
        current = node.get("children")
    name = node.get("name") if node else None
    return name if isinstance(name, str) and name else None


def as_fields(violations: list[Violation], nodes: list[dict] | None = None) -> dict[str, list[str]]:
    """Violations as the error ``fields`` of a refusal: path (for programs) -> sentences, each
    naming its node as the vendor named it (for people) when ``nodes`` is given."""
    out: dict[str, list[str]] = {}
    for v in violations:
        name = node_name_at(nodes, v.path) if nodes is not None else None
        out.setdefault(v.path, []).append(f"「{name}」{v.message}" if name else v.message)
    return out


def merge_fields(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in parts:
        for path, messages in part.items():
            out.setdefault(path, []).extend(m for m in messages if m not in out.get(path, []))
    return dict(sorted(out.items(), key=lambda item: _order(item[0])))


def with_form_snapshots(nodes: list[dict], forms: dict[str, dict]) -> list[dict]:
    """A copy of the flow whose submit-requirements nodes carry their form (TPL-6), so a project
    validates submissions against the form as it was when the version was approved."""
    out = []
    for node in nodes:
        node = {**node, "settings": dict(node.get("settings") or {})}
        if node["kind"] == N.SUBMIT_REQUIREMENTS and node["settings"].get("form_template_id") in forms:
            form = forms[node["settings"]["form_template_id"]]
            node["settings"]["form"] = {"id": form["id"], "name": form["name"], "fields": list(form["fields"])}
        if node.get("children"):
            node["children"] = with_form_snapshots(node["children"], forms)
        out.append(node)
    return out


def referenced_forms(nodes: list[dict]) -> set[str]:
    return {n["settings"]["form_template_id"] for _, n in N.walk(nodes)
            if n["kind"] == N.SUBMIT_REQUIREMENTS and (n.get("settings") or {}).get("form_template_id")}


def diff(before: list[dict], after: list[dict]) -> list[dict]:
    """Node-level differences between two versions: added, removed, changed (with the fields that
    changed) and moved (same node, another path), by node key."""
    old = {n["key"]: (at, n) for at, n in N.walk(before)}
    new = {n["key"]: (at, n) for at, n in N.walk(after)}
    changes: list[dict] = []
    for key, (at, node) in new.items():
        if key not in old:
            changes.append({"change": "added", "key": key, "path": at, "name": node["name"], "fields": []})
            continue
        was_at, was = old[key]
        changed = sorted(f for f in ("kind", "name", "settings", "reminders")
                         if _strip(was).get(f) != _strip(node).get(f))
        if changed:
            changes.append({"change": "changed", "key": key, "path": at, "name": node["name"], "fields": changed})
        if was_at != at:
            changes.append({"change": "moved", "key": key, "path": at, "name": node["name"], "fields": [],
                            "from_path": was_at})
    for key, (at, node) in old.items():
        if key not in new:
            changes.append({"change": "removed", "key": key, "path": at, "name": node["name"], "fields": []})
    return changes


def _strip(node: dict) -> dict:
    """A node without its children and form snapshot: those are compared node by node / by id."""
    settings = {k: v for k, v in (node.get("settings") or {}).items() if k != "form"}
    return {"kind": node["kind"], "name": node["name"], "settings": settings, "reminders": node.get("reminders") or []}
