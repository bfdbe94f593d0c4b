from billing_svc.adapters.orm import metadata
from platform_kit.alembic_env import run

run(metadata)
