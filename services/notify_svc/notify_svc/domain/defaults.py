# ruff: noqa: E501  (message texts read best unbroken)
"""The default message templates the platform ships with (NTF-1, TPL-10, TKT-5, TKT-6, seed 004).

One template per node kind, trigger and recipient of TPL-10, named "node – notify recipient"
("complete project – notify customer"; other triggers add the trigger: "confirm timeout – notify
node operator"), plus the ticket rules and the overdue alerts. Operators edit them; a fresh
deployment seeds what is missing and never overwrites an edited one.
"""
from __future__ import annotations

from notify_svc.domain.templates import ANY_CHANNEL, Content, MessageTemplate, Variable

NODE_NAMES = {
    "assign_provider": ("assign provider", "分配服务商"),
    "container": ("container", "容器节点"),
    "submit_requirements": ("submit requirements", "提交需求"),
    "confirm": ("confirm", "确认"),
    "claim_order": ("claim order", "认领订单"),
    "assign_order": ("assign order", "派单"),
    "generic": ("generic node", "通用节点"),
    "complete_project": ("complete project", "项目完成"),
}
TRIGGER_NAMES = {"node_reached": ("", "已到达"), "timeout": (" timeout", "已超时"),
                 "completed": (" completed", "已完成"), "rejected": (" rejected", "被驳回")}
RECIPIENT_NAMES = {"customer": ("customer", "客户"), "provider_admin": ("provider admin", "服务商管理员"),
                   "node_operator": ("node operator", "节点处理人"), "vendor": ("vendor", "厂商")}
ALL_CHANNELS = ["inbox", "sms", "email", "dingtalk", "wechat_work"]

_PROJECT_VARIABLES = [
    Variable("receiver_name", "string", "who reads the message", "张三"),
    Variable("project_id", "string", "the delivery project", "prj-2f9c"),
    Variable("order_id", "string", "the marketplace order", "ord-1001"),
    Variable("node_name", "string", "the node of the flow", "需求确认"),
]


def _node_templates() -> list[MessageTemplate]:
    templates = []
    for kind, (node_en, node_zh) in NODE_NAMES.items():
        for trigger, (trigger_en, trigger_zh) in TRIGGER_NAMES.items():
            for recipient, (recipient_en, recipient_zh) in RECIPIENT_NAMES.items():
                subject_zh = f"【交付中心】项目 {{{{ order_id }}}} 的「{{{{ node_name }}}}」{trigger_zh}"
                body_zh = (f"{{{{ receiver_name }}}}，您好：订单 {{{{ order_id }}}} 的交付项目已进行到「{{{{ node_name }}}}」"
                           f"（{node_zh}），该节点{trigger_zh}，请登录交付中心查看。")
                subject_en = f"Order {{{{ order_id }}}}: {{{{ node_name }}}} {trigger_en.strip() or 'reached'}"
                body_en = (f"Hello {{{{ receiver_name }}}}, the delivery project of order {{{{ order_id }}}} is at "
                           f"'{{{{ node_name }}}}' ({node_en}){': ' + trigger_en.strip() if trigger_en else ''}. "
                           f"Please sign in to the delivery centre.")
                templates.append(MessageTemplate(
                    name=f"{node_en}{trigger_en} – notify {recipient_en}", variables=list(_PROJECT_VARIABLES),
                    contents=[Content("zh-CN", ANY_CHANNEL, subject_zh, body_zh),
                              Content("en", ANY_CHANNEL, subject_en, body_en)],
                    channels=list(ALL_CHANNELS), node_kind=kind, trigger=trigger, recipient=recipient,
                    description=f"{node_zh}节点{trigger_zh} – 通知{recipient_zh}", builtin=True))
    return templates


def _template(name: str, description: str, variables: list[Variable], subject: str, body: str,
              recipient: str | None = None) -> MessageTemplate:
    return MessageTemplate(name=name, variables=variables, contents=[Content("zh-CN", ANY_CHANNEL, subject, body)],
                           channels=list(ALL_CHANNELS), recipient=recipient, description=description, builtin=True)


_TICKET = [Variable("receiver_name", "string", "", "张三"), Variable("ticket_id", "string", "", "tk-88"),
           Variable("title", "string", "", "服务器无法登录")]
_OVERDUE_PROJECT = [Variable("receiver_name", "string", "", "张三"), Variable("project_id", "string", "", "prj-2f9c"),
                    Variable("order_id", "string", "", "ord-1001"), Variable("due_date", "datetime", "", "2026-11-30"),
                    Variable("days_overdue", "number", "", "3")]
_OVERDUE_PAYMENT = [Variable("receiver_name", "string", "", "张三"), Variable("invoice_id", "string", "", "inv-7"),
                    Variable("amount", "string", "formatted amount with currency", "¥1,200.00"),
                    Variable("due_date", "datetime", "", "2026-11-30"), Variable("days_overdue", "number", "", "3")]


def _other_templates() -> list[MessageTemplate]:
    return [
        _template("ticket first response overdue – notify provider admin", "工单首次响应超时（TKT-5）", _TICKET,
                  "【工单】{{ ticket_id }} 首次响应超时", "{{ receiver_name }}：工单「{{ title }}」超过15分钟未响应，请尽快处理。",
                  "provider_admin"),
        _template("ticket plan overdue – notify provider admin", "工单方案回复超时（TKT-5）", _TICKET,
                  "【工单】{{ ticket_id }} 方案回复超时", "{{ receiver_name }}：工单「{{ title }}」超过30分钟未给出处理方案。",
                  "provider_admin"),
        _template("ticket reply overdue – notify provider admin", "工单回复超时（TKT-5）", _TICKET,
                  "【工单】{{ ticket_id }} 超过4个服务小时未回复", "{{ receiver_name }}：客户在工单「{{ title }}」的留言已超过4个服务小时未回复。",
                  "provider_admin"),
        _template("ticket awaiting feedback – notify customer", "待反馈第2个工作日提醒（TKT-6）", _TICKET,
                  "【工单】{{ ticket_id }} 等待您的反馈", "{{ receiver_name }}：工单「{{ title }}」正在等待您的反馈，请登录查看。",
                  "customer"),
        _template("ticket awaiting confirmation – notify customer", "转为待确认（TKT-6）", _TICKET,
                  "【工单】{{ ticket_id }} 待确认", "{{ receiver_name }}：工单「{{ title }}」已处理，7个工作日未收到反馈，已转为待确认。",
                  "customer"),
        _template("ticket confirmed automatically – notify customer", "自动确认（TKT-6）", _TICKET,
                  "【工单】{{ ticket_id }} 已自动确认", "{{ receiver_name }}：工单「{{ title }}」待确认已满3个工作日，系统已自动确认。",
                  "customer"),
        _template("project overdue – notify vendor", "项目工期警报（seed 004）", _OVERDUE_PROJECT,
                  "【工期警报】订单 {{ order_id }} 已超期 {{ days_overdue }} 天",
                  "{{ receiver_name }}：项目 {{ project_id }}（订单 {{ order_id }}）应于 {{ due_date }} 完成，已超期 {{ days_overdue }} 天。",
                  "vendor"),
        _template("project overdue – notify provider admin", "项目工期警报（seed 004）", _OVERDUE_PROJECT,
                  "【工期警报】订单 {{ order_id }} 已超期 {{ days_overdue }} 天",
                  "{{ receiver_name }}：项目 {{ project_id }}（订单 {{ order_id }}）应于 {{ due_date }} 完成，已超期 {{ days_overdue }} 天。",
                  "provider_admin"),
        _template("payment overdue – notify customer", "回款警报（seed 004）", _OVERDUE_PAYMENT,
                  "【回款提醒】账单 {{ invoice_id }} 已逾期",
                  "{{ receiver_name }}：账单 {{ invoice_id }} 金额 {{ amount }} 应于 {{ due_date }} 支付，已逾期 {{ days_overdue }} 天。",
                  "customer"),
        _template("payment overdue – notify vendor", "回款警报（seed 004）", _OVERDUE_PAYMENT,
                  "【回款警报】账单 {{ invoice_id }} 已逾期",
                  "{{ receiver_name }}：账单 {{ invoice_id }} 金额 {{ amount }} 应于 {{ due_date }} 回款，已逾期 {{ days_overdue }} 天。",
                  "vendor"),
        _template("webhook endpoint disabled – notify organisation admin", "Webhook 停用（GW-5）",
                  [Variable("receiver_name", "string", "", "张三"), Variable("url", "url", "", "https://example.com/hook")],
                  "【Webhook】{{ url }} 已停用",
                  "{{ receiver_name }}：您的 Webhook 地址 {{ url }} 连续失败超过一天，已被停用。修复后请在控制台重新启用并重放失败的事件。"),
    ]


def _v(name: str, sample: str, type_: str = "string") -> Variable:
    return Variable(name, type_, "", sample)


_RECEIVER = _v("receiver_name", "张三")
_T = [_RECEIVER, _v("ticket_id", "tk-88"), _v("ticket_number", "T-2026-000123"), _v("title", "服务器无法登录")]
_PRODUCT = [_RECEIVER, _v("product_code", "FLOW-10G"), _v("product_name", "10G 流量包"), _v("price", "1200", "number"),
            _v("currency", "CNY"), _v("supplier_id", "org-supplier")]


def _service_event_templates() -> list[MessageTemplate]:
    """The names ticket_svc and billing_svc request in their notification events (NotificationRequest)."""
    return [
        _template("ticket.feedback_reminder", "工单待反馈提醒（TKT-6）", _T, "【工单】{{ ticket_number }} 等待您的反馈",
                  "{{ receiver_name }}：工单「{{ title }}」正在等待您的反馈，请登录查看。", "customer"),
        _template("ticket.awaiting_confirmation", "工单转为待确认（TKT-6）", _T, "【工单】{{ ticket_number }} 待确认",
                  "{{ receiver_name }}：工单「{{ title }}」已处理，7个工作日未收到反馈，已转为待确认。", "customer"),
        _template("ticket.sla_warning", "工单服务时限预警（TKT-5）", [*_T, _v("timer", "first_response")],
                  "【工单】{{ ticket_number }} 即将超时", "{{ receiver_name }}：工单「{{ title }}」的 {{ timer }} 时限即将到期。"),
        _template("ticket.sla_breach", "工单服务时限超时（TKT-5）", [*_T, _v("timer", "first_response")],
                  "【工单】{{ ticket_number }} 已超时", "{{ receiver_name }}：工单「{{ title }}」的 {{ timer }} 时限已超时，请尽快处理。"),
        _template("ticket.suspected_complaint", "疑似投诉（TKT-4）", [*_T, _v("reason", "要求电话联系")],
                  "【工单】{{ ticket_number }} 疑似投诉", "{{ receiver_name }}：工单「{{ title }}」疑似投诉：{{ reason }}。",
                  "provider_admin"),
        _template("ticket.complaint", "客户投诉（TKT-4）", _T, "【工单】{{ ticket_number }} 客户投诉",
                  "{{ receiver_name }}：客户对工单「{{ title }}」发起了投诉，请优先处理。", "provider_admin"),
        _template("ticket.secret_masked", "敏感信息已隐藏（TKT-9）", _T, "【工单】{{ ticket_number }} 请修改密码",
                  "{{ receiver_name }}：您在工单「{{ title }}」中发送的密码等敏感信息已隐藏，处理完成后请尽快修改。", "customer"),
        _template("ticket.escalated", "工单升级到平台（TKT-3）", [*_T, _v("note", "客户环境需要平台排查")],
                  "【工单】{{ ticket_number }} 已升级", "{{ receiver_name }}：工单「{{ title }}」已升级到平台支持：{{ note }}"),
        _template("ticket.transferred", "工单转交（TKT-3）", [*_T, _v("note", "已确认为网络问题")],
                  "【工单】{{ ticket_number }} 转交给您", "{{ receiver_name }}：工单「{{ title }}」已转交给您：{{ note }}"),
        _template("ticket.reply", "客服回复（TKT-10，邮件）", [*_T, _v("body", "您好，问题已处理，请您核实。"),
                                                          _v("attachments", "0", "number")],
                  "【工单】{{ ticket_number }} {{ title }}",
                  "{{ receiver_name }}：您的工单「{{ title }}」（{{ ticket_number }}）有新的回复：\n\n{{ body }}\n\n"
                  "直接回复本邮件即可继续沟通（请保留主题中的工单号）。", "customer"),
        _template("ticket.tier_requested", "客户申请更高服务等级（TKT-8）", [*_T, _v("tier", "P0")],
                  "【工单】{{ ticket_number }} 申请 {{ tier }} 服务等级",
                  "{{ receiver_name }}：客户在工单「{{ title }}」中申请 {{ tier }} 服务等级，高于其服务合同，请确认是否授予。",
                  "provider_admin"),
        _template("ticket.reply_held", "客服回复待审核（TKT-4）", _T, "【工单】{{ ticket_number }} 有回复待审核",
                  "{{ receiver_name }}：工单「{{ title }}」中客服的一条回复含有不当用语，已暂停发送，请审核后放行或退回。",
                  "provider_admin"),
        _template("ticket.reply_rejected", "客服回复被退回（TKT-4）", _T, "【工单】{{ ticket_number }} 您的回复被退回",
                  "{{ receiver_name }}：您在工单「{{ title }}」中的回复未通过审核，未发送给客户，请重新回复。"),
        _template("calendar next year unknown – notify operator", "下一年节假日未配置（ORG-6）",
                  [_RECEIVER, _v("year", "2027", "number"), _v("alert", "2027 的节假日与调休尚未配置")],
                  "【日历】{{ year }} 年节假日尚未配置",
                  "{{ receiver_name }}：{{ alert }}。按工作日计算的期限会延伸到 {{ year }} 年，请尽快导入全年节假日与调休。",
                  "operator"),
        _template("billing price changed", "价格变更通知（BIL-10）", _PRODUCT, "【价格变更】{{ product_name }}",
                  "{{ receiver_name }}：您订阅的 {{ product_name }}（{{ product_code }}）价格已调整为 {{ price }}（{{ currency }} 分）。",
                  "customer"),
        _template("billing channel suspended", "通道暂停通知（BIL-10）", _PRODUCT, "【通道暂停】{{ product_name }}",
                  "{{ receiver_name }}：您订阅的 {{ product_name }}（{{ product_code }}）通道已暂停。", "customer"),
        _template("billing channel resumed", "通道恢复通知（BIL-10）", _PRODUCT, "【通道恢复】{{ product_name }}",
                  "{{ receiver_name }}：您订阅的 {{ product_name }}（{{ product_code }}）通道已恢复。", "customer"),
        _template("billing subscription requested", "订阅申请（BIL-3）",
                  [_RECEIVER, _v("customer_id", "org-customer"), _v("product_code", "FLOW-10G")],
                  "【订阅申请】{{ product_code }}", "{{ receiver_name }}：客户 {{ customer_id }} 申请订阅 {{ product_code }}，请审批。"),
        _template("billing orders blocked", "下单受限（BIL-7）",
                  [_RECEIVER, _v("unpaid", "3", "number"), _v("threshold", "3", "number")], "【下单受限】代扣失败次数过多",
                  "{{ receiver_name }}：代扣失败 {{ unpaid }} 笔，已达阈值 {{ threshold }}，新订单暂停，补缴后自动恢复。", "customer"),
        _template("billing orders unblocked", "下单恢复（BIL-7）",
                  [_RECEIVER, _v("unpaid", "2", "number"), _v("threshold", "3", "number")], "【下单恢复】",
                  "{{ receiver_name }}：未付款项已低于阈值，可以继续下单。", "customer"),
        _template("billing payment overdue", "分期款逾期（BIL-12, seed 004）",
                  [_RECEIVER, _v("contract_id", "ct-1"), _v("project_id", "prj-2f9c"), _v("stage", "首付款"),
                   _v("amount", "120000", "number"), _v("currency", "CNY"), _v("due_at", "2026-11-30T00:00:00+00:00")],
                  "【回款警报】合同 {{ contract_id }} {{ stage }} 已逾期",
                  "{{ receiver_name }}：合同 {{ contract_id }} 的 {{ stage }}（{{ amount }} {{ currency }} 分）应于 {{ due_at }} 支付，已逾期。"),
        _template("billing staged contract proposed", "分期合同待确认（BIL-12）",
                  [_RECEIVER, _v("contract_id", "ct-1"), _v("project_id", "prj-2f9c"), _v("amount", "120000", "number"),
                   _v("currency", "CNY"), _v("stages", "3", "number")],
                  "【分期合同】项目 {{ project_id }} 的分期付款待您确认",
                  "{{ receiver_name }}：厂商为项目 {{ project_id }} 提出分期合同 {{ contract_id }}，共 {{ stages }} 期，"
                  "合计 {{ amount }}（{{ currency }} 分）。您接受之前不会扣款，请在“分期合同”中接受或拒绝。", "customer"),
        _template("billing stage withholding failed", "分期款代扣失败（BIL-12）",
                  [_RECEIVER, _v("contract_id", "ct-1"), _v("project_id", "prj-2f9c"), _v("stage", "首付款"),
                   _v("amount", "120000", "number"), _v("currency", "CNY"), _v("attempt", "1", "number")],
                  "【回款警报】合同 {{ contract_id }} {{ stage }} 代扣失败",
                  "{{ receiver_name }}：合同 {{ contract_id }} 的 {{ stage }}（{{ amount }} {{ currency }} 分）第 {{ attempt }} 次代扣失败，"
                  "请确认企业付款账户余额后重新发起支付。"),
        _template("billing payment step stuck", "支付步骤已停止重试，待运营处理（BIL-6）",
                  [_RECEIVER, _v("order_id", "ord-1001"), _v("step", "代付给供应商"), _v("step_key", "payout:ord-1001:9"),
                   _v("amount", "2850", "number"), _v("currency", "CNY")],
                  "【资金告警】订单 {{ order_id }} 的{{ step }}已停止重试",
                  "{{ receiver_name }}：订单 {{ order_id }} 的{{ step }}（{{ amount }} {{ currency }} 分）多次尝试仍未成功，"
                  "已停止自动重试，等待平台运营人员处理（重试、判定失败或作废）。"),
        _template("billing order not fulfilled", "订单未履约，已失败并释放额度（BIL-5, BIL-6）",
                  [_RECEIVER, _v("order_id", "ord-1001"), _v("product_code", "FLOW-10G"), _v("amount", "2850", "number"),
                   _v("currency", "CNY"), _v("attempts", "8", "number"), _v("reason", "供应商系统无应答")],
                  "【订单失败】订单 {{ order_id }} 未在期限内履约",
                  "{{ receiver_name }}：订单 {{ order_id }}（{{ product_code }}，{{ amount }} {{ currency }} 分）"
                  "在 {{ attempts }} 次尝试后仍未由供应商履约，订单已失败，客户额度已释放。原因：{{ reason }}"),
    ]


def default_templates() -> list[MessageTemplate]:
    return _node_templates() + _other_templates() + _service_event_templates()
