"""The nameko details platform_kit.nameko_adapters relies on: an upgrade that changes them fails here."""
from __future__ import annotations

import inspect
import subprocess
import sys
from importlib.metadata import version

from nameko.amqp.publish import Publisher
from nameko.rpc import ClusterRpc as NamekoClusterRpc
from nameko.rpc import Responder

from platform_kit import calls, nameko_adapters


def test_nameko_is_the_pinned_release_the_adapters_were_measured_on():
    assert version("nameko") == "3.0.0rc11", "re-measure bench/ and re-check nameko_adapters before upgrading"


def test_replies_are_published_through_responder_publisher_cls_which_takes_use_confirms():
    assert "self.publisher_cls(" in inspect.getsource(Responder)
    assert "use_confirms" in inspect.signature(Publisher.__init__).parameters


def test_apply_makes_replies_skip_publisher_confirms():
    nameko_adapters.apply()
    assert nameko_adapters.applied()
    assert Responder.publisher_cls("amqp://guest:guest@127.0.0.1:5672/").use_confirms is False


def test_nameko_rpc_clients_declare_the_reply_queue_with_every_request_and_ours_do_not():
    assert "declare=[self.reply_listener.queue]" in inspect.getsource(NamekoClusterRpc.setup)
    assert "self.publisher.declare = []" in inspect.getsource(nameko_adapters.ClusterRpc.setup)
    # the one-service client of platform_kit.calls is built on the adapted one
    assert issubclass(calls.ServiceRpc, nameko_adapters.ClusterRpc)
    assert issubclass(calls.ClusterRpc, nameko_adapters.ClusterRpc)


def test_importing_the_adapters_patches_nothing():
    probe = ("import nameko.rpc as r, nameko.amqp.publish as p, platform_kit.nameko_adapters; "
             "print(r.Responder.publisher_cls is p.Publisher)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr
