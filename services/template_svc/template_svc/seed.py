"""The platform's preset requirement forms and public templates (TPL-2, TPL-6; seed 000 chapter 3).

Written by migration 0002 with these fixed ids, so every environment has them exactly once.
Public templates whose flow dispatches to sub-accounts carry the suffix 子账号自动分单.
"""
from __future__ import annotations

from platform_contracts import nodes as N

GENERAL_FORM_ID = "form-general"
FORMS = [
    {"id": GENERAL_FORM_ID, "name": "通用需求表",
     "description": "Contact and a description of the need; fits most services.",
     "fields": [
         {"key": "contact_name", "label": "联系人", "type": "text", "required": True, "max_length": 50},
         {"key": "contact_phone", "label": "联系电话", "type": "phone", "required": True},
         {"key": "contact_email", "label": "邮箱", "type": "email", "required": False},
         {"key": "description", "label": "需求描述", "type": "long_text", "required": True, "min_length": 10,
          "max_length": 2000, "help_text": "What should be delivered, and by when?"},
         {"key": "attachments", "label": "附件", "type": "file", "required": False, "max_files": 5},
     ]},
    {"id": "form-website-design", "name": "网站设计需求表", "description": "Website and visual design services.",
     "fields": [
         {"key": "contact_name", "label": "联系人", "type": "text", "required": True, "max_length": 50},
         {"key": "contact_phone", "label": "联系电话", "type": "phone", "required": True},
         {"key": "site_type", "label": "网站类型", "type": "single_choice", "required": True,
          "options": ["企业官网", "电商网站", "门户网站", "其他"]},
         {"key": "pages", "label": "页面数量", "type": "number", "required": True, "min": 1, "max": 200},
         {"key": "languages", "label": "语言版本", "type": "multi_choice", "required": False,
          "options": ["中文", "English", "日本語"]},
         {"key": "launch_date", "label": "期望上线日期", "type": "date", "required": False},
         {"key": "references", "label": "参考网站", "type": "long_text", "required": False},
     ]},
    {"id": "form-software-install", "name": "软件安装部署需求表",
     "description": "Installation on the customer's servers.",
     "fields": [
         {"key": "contact_name", "label": "联系人", "type": "text", "required": True, "max_length": 50},
         {"key": "contact_phone", "label": "联系电话", "type": "phone", "required": True},
         {"key": "server_address", "label": "服务器地址", "type": "text", "required": True},
         {"key": "operating_system", "label": "操作系统", "type": "single_choice", "required": True,
          "options": ["Linux", "Windows Server"]},
         {"key": "install_date", "label": "期望安装日期", "type": "date", "required": False},
     ]},
]


def _node(key: str, kind: str, name: str, **settings) -> dict:
    return {"key": key, "kind": kind, "name": name, "settings": {**N.DEFAULT_SETTINGS[kind], **settings},
            "reminders": []}


_START = _node("assign_provider", N.ASSIGN_PROVIDER, "分配服务商")
_REQUIREMENTS = _node("requirements", N.SUBMIT_REQUIREMENTS, "提交需求", form_template_id=GENERAL_FORM_ID)
_ACCEPT = _node("accept", N.CONFIRM, "客户验收", side=N.CUSTOMER_SIDE, button_label="验收通过", allow_reject=True,
                timeout_days=3, advance_on_timeout=True)
_COMPLETE = _node("complete", N.COMPLETE_PROJECT, "完成项目", allow_reject=True, timeout_days=5,
                  auto_confirm_on_timeout=True)

PUBLIC_TEMPLATES = [
    {"id": "tpl-public-self-service", "name": "标准服务流程（自助交付）", "nodes": [
        _START, _REQUIREMENTS,
        _node("deliver", N.GENERIC, "交付并上传交付物", side=N.PROVIDER_SIDE, role="provider_admin",
              upload_enabled=True, button_label="提交交付物"),
        _ACCEPT, _COMPLETE]},
    {"id": "tpl-public-sub-account", "name": "标准服务流程（子账号自动分单）", "nodes": [
        _START, _REQUIREMENTS,
        _node("assign_order", N.ASSIGN_ORDER, "分配订单", role="service_staff", rule=N.PROVIDER_FIRST),
        _node("deliver", N.GENERIC, "交付并上传交付物", side=N.PROVIDER_SIDE, role="service_staff",
              upload_enabled=True, button_label="提交交付物"),
        _ACCEPT, _COMPLETE]},
    {"id": "tpl-public-department", "name": "部门外包服务流程（认领订单，子账号自动分单）", "nodes": [
        _START, _REQUIREMENTS,
        _node("claim_order", N.CLAIM_ORDER, "认领订单", timeout_days=1),
        _node("assign_order", N.ASSIGN_ORDER, "分配订单", role="engineer", rule=N.DEPARTMENT_FIRST),
        _node("delivery", N.CONTAINER, "交付", children=[]),
        _ACCEPT, _COMPLETE]},
]
PUBLIC_TEMPLATES[2]["nodes"][4]["children"] = [
    _node("deploy", N.GENERIC, "部署实施", side=N.PROVIDER_SIDE, role="engineer", upload_enabled=True),
    _node("handover", N.CONFIRM, "服务商内部确认", side=N.PROVIDER_SIDE, role="customer_manager", allow_reject=True),
]
