# Eventlet must patch the standard library before anything else is imported (nameko's rule).
import eventlet

eventlet.monkey_patch()

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

from platform_kit import nameko_adapters  # noqa: E402

nameko_adapters.apply()  # as platform_kit.run does at the start of every service process

pytest_plugins = ["platform_kit.testing"]


def pytest_unconfigure(config):
    # At interpreter exit, logging's weak-reference callbacks take a green lock after eventlet's
    # hub is gone ("greenlet is being finalized"). Dropping the references first avoids the noise.
    import logging

    logging._handlerList.clear()
