"""OPS-3, for orchestrators: liveness depends on nothing outside the process but shows stuck workers; readiness
shows each dependency."""
import eventlet
import requests
from nameko import config
from nameko.standalone.rpc import ClusterRpcClient
from nameko.web.server import WebServer

from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.service import PlatformService


class Sleepy(PlatformService):
    name = "sleepy"
    db = Database("BILLING_DATABASE_URL", relay_events=False)

    @rpc
    def nap(self, seconds: float) -> None:
        eventlet.sleep(seconds)


def _base_url(container) -> str:
    server = next(e for e in container.subextensions if isinstance(e, WebServer))
    return f"http://127.0.0.1:{server._sock.getsockname()[1]}"


def test_OPS3_health_answers_503_while_a_worker_is_stuck_and_ready_lists_each_dependency(
        platform_config, container_factory, wait_until):
    with config.patch({"HEALTH_STUCK_SECONDS": 0.5}):
        container = container_factory(Sleepy)
        container.start()
        base = _base_url(container)
        assert requests.get(f"{base}/health", timeout=5).json()["status"] == "ok"
        ready = requests.get(f"{base}/ready", timeout=5).json()
        assert ready["checks"] == {"database": "ok", "broker": "ok", "redis": "ok"}
        with ClusterRpcClient(uri=config["AMQP_URI"]) as client:
            client.sleepy.nap.call_async(3)
            answer = wait_until(lambda: (r := requests.get(f"{base}/health", timeout=5)).status_code == 503
                                and r.json(), timeout=5, message="health to report the stuck worker")
        assert answer["status"] == "stuck" and answer["workers"]["running"] == 1
