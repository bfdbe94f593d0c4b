"""Events of identity_svc (organisations, users, departments, the working calendar).

User events carry the full current roles and department so that a listener (dispatch, project,
notify) can keep its own copy of who holds which role where. No event ever carries a password
or a password hash.
"""
from marshmallow import Schema, fields, validate

from platform_contracts.notify import NotificationRequest
from platform_contracts.roles import ORG_KINDS, ROLES
from platform_kit.contracts import register
from platform_kit.workcal import DayKind


class OrganisationCreated(Schema):
    org_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    admin_user_id = fields.String(required=True, metadata={"description": "the main account (ORG-1)"})
    root_department_id = fields.String(allow_none=True, load_default=None,
                                       metadata={"description": "ISVs only: the root of the department tree"})


class UserSnapshot(Schema):
    user_id = fields.String(required=True)
    org_id = fields.String(required=True)
    org_kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    login_name = fields.String(required=True)
    display_name = fields.String(required=True)
    phone = fields.String(allow_none=True, load_default=None)
    email = fields.String(allow_none=True, load_default=None)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        metadata={"description": "every role the user holds now (ORG-2)"})
    department_id = fields.String(allow_none=True, load_default=None,
                                  metadata={"description": "ISV users: their one department (ORG-3)"})
    active = fields.Boolean(required=True)


class UserCreated(UserSnapshot):
    pass


class UserUpdated(UserSnapshot):
    changed = fields.List(fields.String(validate=validate.OneOf(
        ("display_name", "phone", "email", "department_id", "active", "roles"))), required=True,
        metadata={"description": "which fields changed; the others are repeated as they are"})


class DepartmentChanged(Schema):
    department_id = fields.String(required=True)
    org_id = fields.String(required=True)
    change = fields.String(required=True, validate=validate.OneOf(("created", "renamed", "moved", "deleted")))
    name = fields.String(required=True)
    parent_id = fields.String(allow_none=True, load_default=None,
                              metadata={"description": "null for the root department"})


class CalendarChanged(Schema):
    day = fields.Date(required=True)
    kind = fields.String(allow_none=True, required=True, validate=validate.OneOf([k.value for k in DayKind]),
                         metadata={"description": "null: the operator's override was removed and the "
                                                  "statutory calendar applies again"})
    name = fields.String(required=True)


register("identity_notification_requested", source="identity", schema=NotificationRequest,
         description="identity asks notify_svc to tell people something: the next year's working calendar is "
                     "not known from 1 November (ORG-6), once a day until it is.")
register("organisation_created", source="identity", schema=OrganisationCreated,
         description="An ISV, a customer organisation or the platform operator was created with its main "
                     "account (ORG-1).")
register("user_created", source="identity", schema=UserCreated,
         description="A user account was created, with its roles and department (ORG-2, ORG-3).")
register("user_updated", source="identity", schema=UserUpdated,
         description="A user's names, contact, department, roles or active flag changed; carries the full "
                     "current state.")
register("department_changed", source="identity", schema=DepartmentChanged,
         description="A department of an ISV was created, renamed, moved or deleted (ORG-3).")
register("calendar_changed", source="identity", schema=CalendarChanged,
         description="The platform operator set or removed a day of the working calendar (ORG-6); services "
                     "counting working days refresh their copy.")
