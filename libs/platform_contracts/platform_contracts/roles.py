"""Organisation kinds and the platform's preset roles (ORG-1, ORG-2). identity_svc owns these facts."""
from __future__ import annotations

# organisation kinds
OPERATOR, ISV, CUSTOMER = "operator", "isv", "customer"
ORG_KINDS = (OPERATOR, ISV, CUSTOMER)

# ORG-2: the platform's preset roles
PLATFORM_OPERATOR = "platform_operator"
VENDOR_ADMIN = "vendor_admin"
VENDOR_PROJECT_MANAGER = "vendor_project_manager"
PROVIDER_ADMIN = "provider_admin"
CUSTOMER_MANAGER = "customer_manager"
DESIGNER = "designer"
ENGINEER = "engineer"
SERVICE_STAFF = "service_staff"
SUPPORT_AGENT = "support_agent"
CUSTOMER_ROLE = "customer"
# a customer organisation's main account: manages its users and integrator keys
CUSTOMER_ADMIN = "customer_admin"
ISV_ROLES = (VENDOR_ADMIN, VENDOR_PROJECT_MANAGER, PROVIDER_ADMIN, CUSTOMER_MANAGER, DESIGNER, ENGINEER,
             SERVICE_STAFF, SUPPORT_AGENT)
CUSTOMER_ROLES = (CUSTOMER_ROLE, CUSTOMER_ADMIN)
ROLES = (PLATFORM_OPERATOR, *ISV_ROLES, *CUSTOMER_ROLES)
ROLES_BY_ORG_KIND = {OPERATOR: (PLATFORM_OPERATOR,), ISV: ISV_ROLES, CUSTOMER: CUSTOMER_ROLES}
