from platform_kit.alembic_env import run
from ticket_svc.adapters.orm import metadata

run(metadata)
