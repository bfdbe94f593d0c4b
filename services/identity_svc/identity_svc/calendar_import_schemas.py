"""RPC payloads of the calendar year import and the coverage alert (ORG-6)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from platform_kit.workcal import DayKind


class ImportDaySchema(Schema):
    day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in DayKind]))
    name = fields.String(load_default="", validate=validate.Length(max=100))


class CalendarImportSchema(Schema):
    """Either ``days`` (JSON rows) or ``csv`` (a header ``day,kind,name`` and one row per day)."""

    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    days = fields.List(fields.Dict(), load_default=None, validate=validate.Length(max=366),
                       metadata={"description": "[{day, kind, name}] with kind holiday, makeup_workday, "
                                                "workday or weekend"})
    csv = fields.String(load_default=None, validate=validate.Length(max=100_000),
                        metadata={"example": "day,kind,name\n2027-01-01,holiday,New Year's Day\n"})

    @validates_schema
    def one_source(self, data, **kwargs):
        if (data.get("days") is None) == (data.get("csv") is None):
            raise ValidationError("send either days or csv", "days")


class CalendarImportResultSchema(Schema):
    year = fields.Integer()
    days = fields.Integer(metadata={"description": "days in the import"})
    changed = fields.Integer(metadata={"description": "days that changed (a repeated import changes none)"})


class CalendarCoverageSchema(Schema):
    today = fields.Date()
    next_year = fields.Integer()
    covers_next_year = fields.Boolean(metadata={"description": "statutory data exists for next year"})
    entries_next_year = fields.Integer(metadata={"description": "days the operator entered for next year"})
    alert = fields.String(allow_none=True, metadata={"description": "from 1 November, when next year is unknown"})
