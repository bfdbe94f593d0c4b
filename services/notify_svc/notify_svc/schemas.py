from marshmallow import Schema, fields, validate


class InboxQuerySchema(Schema):
    unread_only = fields.Boolean(load_default=False)
    limit = fields.Integer(validate=validate.Range(min=1, max=200), load_default=50)
    offset = fields.Integer(validate=validate.Range(min=0), load_default=0)


class InboxMessageSchema(Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(InboxMessageSchema))
    total = fields.Integer()
    unread = fields.Integer()
