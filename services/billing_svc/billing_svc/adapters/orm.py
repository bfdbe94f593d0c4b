from sqlalchemy import MetaData

# billing_svc's own tables arrive with its issue; its database already holds the kernel's
# outbox, processed-event and deadline tables.
metadata = MetaData()
