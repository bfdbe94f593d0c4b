"""The node kinds of a service flow (TPL-3). template_svc owns these facts; project and dispatch read them."""
from __future__ import annotations

ASSIGN_PROVIDER = "assign_provider"
CONTAINER = "container"
SUBMIT_REQUIREMENTS = "submit_requirements"
CONFIRM = "confirm"
CLAIM_ORDER = "claim_order"
ASSIGN_ORDER = "assign_order"
GENERIC = "generic"
COMPLETE_PROJECT = "complete_project"
NODE_KINDS = (ASSIGN_PROVIDER, CONTAINER, SUBMIT_REQUIREMENTS, CONFIRM, CLAIM_ORDER, ASSIGN_ORDER, GENERIC,
              COMPLETE_PROJECT)

# --- the frozen flow as it travels in events (template -> project) -------------------------------
# A flow is an ordered list of nodes; a container holds ordered ``children`` (nodes again). Every
# node has ``key`` (unique in the whole flow), ``kind``, ``name``, ``settings`` (per kind, below) and
# ``reminders``. template_svc validates the full rules (TPL-11) and owns these schemas; project_svc
# and dispatch_svc read frozen flows with them.

CUSTOMER_SIDE, PROVIDER_SIDE = "customer", "provider"
SIDES = (CUSTOMER_SIDE, PROVIDER_SIDE)
PROVIDER_FIRST, DEPARTMENT_FIRST = "provider_first", "department_first"
ASSIGN_RULES = (PROVIDER_FIRST, DEPARTMENT_FIRST)
TRIGGERS = ("node_reached", "timeout", "completed", "rejected")
# receivers of a reminder: these words, or "role:<preset role>" for everyone of the provider with it
RECEIVERS = ("customer", "provider_admin", "node_operator", "vendor")

# settings of each kind (all optional keys have the defaults shown):
#   assign_provider:     {}
#   container:           {}                      (children carry the work)
#   submit_requirements: {"form_template_id": str, "submit_label": "提交需求", "view_label": "查看需求",
#                         "form": {"id", "name", "fields": [...]}}  (the form's snapshot, added by template_svc
#                         when a version is approved; validate with platform_contracts.forms)
#   confirm:             {"side": customer|provider, "role": str|None (provider side), "button_label": "确认",
#                         "allow_reject": bool, "timeout_days": number|None (>0, one decimal),
#                         "advance_on_timeout": bool}
#   claim_order:         {"timeout_days": number|None}
#   assign_order:        {"role": str, "rule": provider_first|department_first}
#   generic:             {"side": customer|provider, "role": str|None, "upload_enabled": bool,
#                         "button_label": "完成", "view_label": "查看"}
#   complete_project:    {"allow_reject": bool, "timeout_days": number|None, "auto_confirm_on_timeout": bool,
#                         "button_label": "确认完成"}
# reminders: [{"trigger": one of TRIGGERS, "receivers": [..RECEIVERS or "role:<r>"], "message_template": name}]
# (message templates are notify_svc's, named "node – recipient", e.g. "complete project – notify customer")

# limits of a flow: nodes counted at every depth, and containers inside containers
MAX_NODES = 200
MAX_DEPTH = 3          # top level = 1: a container may hold a container, whose children are work nodes
# the kinds passed by dispatch (assigning) or by a claim, never by a person's button in the project
SYSTEM_KINDS = (ASSIGN_PROVIDER, CLAIM_ORDER, ASSIGN_ORDER)
# the steps somebody does with a button, and so the ones a reject can return to ("驳回后流程将自动跳转回
# 上一步": the step just before, whoever does it). The template's check and the project's engine both
# ask ``reject_target``, so a flow that publishes cleanly can always reject at run time.
REJECT_RETURN_KINDS = (SUBMIT_REQUIREMENTS, CONFIRM, GENERIC)

DEFAULT_SETTINGS: dict[str, dict] = {
    ASSIGN_PROVIDER: {},
    CONTAINER: {},
    SUBMIT_REQUIREMENTS: {"form_template_id": None, "submit_label": "提交需求", "view_label": "查看需求"},
    CONFIRM: {"side": CUSTOMER_SIDE, "role": None, "button_label": "确认", "allow_reject": False,
              "timeout_days": None, "advance_on_timeout": False},
    CLAIM_ORDER: {"timeout_days": None},
    ASSIGN_ORDER: {"role": None, "rule": PROVIDER_FIRST},
    GENERIC: {"side": PROVIDER_SIDE, "role": None, "upload_enabled": False, "button_label": "完成",
              "view_label": "查看"},
    COMPLETE_PROJECT: {"allow_reject": False, "timeout_days": None, "auto_confirm_on_timeout": False,
                       "button_label": "确认完成"},
}


def walk(nodes: list[dict], path: str = "nodes"):
    """Every node of a flow in order, depth first, with its path (``nodes[2].children[0]``)."""
    for i, node in enumerate(nodes):
        at = f"{path}[{i}]"
        yield at, node
        if node.get("children"):
            yield from walk(node["children"], f"{at}.children")



def leaf_steps(nodes: list[dict]) -> list[dict]:
    """The nodes a project walks through, in order: containers only group their children."""
    steps: list[dict] = []
    for node in nodes:
        if node.get("kind") == CONTAINER:
            steps.extend(leaf_steps(node.get("children") or []))
        else:
            steps.append(node)
    return steps


def reject_target(steps: list[dict], index: int) -> int | None:
    """The step a reject at ``steps[index]`` returns to: the nearest earlier step a person does
    (across container boundaries), skipping dispatch's steps; None when there is none."""
    return next((i for i in range(index - 1, -1, -1) if steps[i].get("kind") in REJECT_RETURN_KINDS), None)
