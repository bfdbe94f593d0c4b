"""``@on_start``: run a method once when the container starts (seeding what the service ships with)."""
from __future__ import annotations

import logging

from nameko.extensions import Entrypoint

log = logging.getLogger(__name__)


class OnStart(Entrypoint):
    def start(self) -> None:
        self.container.spawn_managed_thread(self._run, identifier=f"on_start.{self.method_name}")

    def _run(self) -> None:
        try:
            self.container.spawn_worker(self, (), {})
        except Exception:  # the container is stopping already
            log.exception("could not run %s at start", self.method_name)


on_start = OnStart.decorator
