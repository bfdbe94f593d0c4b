from platform_kit.alembic_env import run
from project_svc.adapters.orm import metadata

run(metadata)
