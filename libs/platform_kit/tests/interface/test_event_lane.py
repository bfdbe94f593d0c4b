"""A burst of events never makes the process's RPC requests wait behind them for a worker (measured under load)."""
import eventlet
from nameko import config
from nameko.standalone.rpc import ClusterRpcClient

from platform_kit.consumer import event_workers, on_event
from platform_kit.errors import rpc
from platform_kit.testing import publish_event as publish


class Busy:
    name = "busy"
    release = eventlet.event.Event()
    running = 0
    most = 0

    @on_event("probe", "slow_thing")
    def handle_slow_thing(self, event):
        Busy.running += 1
        Busy.most = max(Busy.most, Busy.running)
        try:
            Busy.release.wait()
        finally:
            Busy.running -= 1

    @rpc
    def ping(self) -> str:
        return "pong"


def test_rpc_requests_are_answered_while_events_fill_their_lane_of_the_worker_pool(platform_config,
                                                                                  container_factory, wait_until):
    Busy.release, Busy.running, Busy.most = eventlet.event.Event(), 0, 0
    with config.patch({"max_workers": 6}):
        container = container_factory(Busy)
        container.start()
        lane = event_workers(6)
        assert lane == 4, "a quarter of the pool (at least 2 workers) is kept for everything but events"
        for n in range(10):
            publish("probe", "slow_thing", {"n": n})
        wait_until(lambda: Busy.running == lane, timeout=10, message="the events to fill their lane")
        with ClusterRpcClient(uri=config["AMQP_URI"], timeout=5) as client:
            assert client.busy.ping() == "pong", "the RPC found a worker while 10 events waited"
        assert Busy.running == lane
        Busy.release.send(True)
        wait_until(lambda: Busy.running == 0 and container._platform_event_lane.balance == lane, timeout=10,
                   message="every event handled and the lane given back")
    assert Busy.most == lane
