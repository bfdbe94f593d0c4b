from platform_kit.alembic_env import run
from template_svc.adapters.orm import metadata

run(metadata)
