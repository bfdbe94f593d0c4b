"""Canned replies every provider starts with: the reply samples of seed 001 (TKT-7), and the
variables a provider's own replies may use. Pure."""
from __future__ import annotations

import re

VARIABLES = ("ticket_number", "title", "customer_name", "agent_name")
_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def render(body: str, values: dict[str, str | None]) -> str:
    """``{{ticket_number}}`` and the like filled in; an unknown or empty variable stays as written."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1)) or m.group(0), body)


DEFAULT_CANNED_REPLIES = (
    ("received", "您好！您的问题已收到，我们尽快安排看下，请耐心等待！"),
    ("processing", "您好，您的问题我们已经在安排解决中，请您耐心等待，谢谢！"),
    ("plan", "您好！您的问题已经安排解决中，预计   xx   时间完成，解决后我再回复工单，请耐心等待"),
    ("need_info", "您好，请您提供   XX      以便我们进一步核实问题，谢谢！"),
    ("need_info_detail", "您好，    (描述清楚需要用户反馈的内容信息)     ，谢谢！"),
    ("solved", "您反馈的问题已解决，请您核实确认后关闭工单，并对服务进行评价，感谢您的配合！"),
    ("solved_cause", "您好，由于    XX    原因引起，现已解决，"
                     "请您核实确认后关闭工单，并对本次服务进行评价，感谢您的配合！"),
    ("close", "您好，请您关闭工单，并对本次服务进行评价，感谢您的配合！"),
    ("transferred", "您好，您的问题我们已经反馈相关处理人员，请您耐心等待，谢谢！"),
    ("escalated", "您好，您的问题已经转交给平台继续处理，请您暂时不要关闭工单，等待平台客服进一步答复，谢谢！"),
)
