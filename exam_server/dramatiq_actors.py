"""Entry module of Dramatiq scoring workers.

Importing it configures Dramatiq's global broker from ``EXAM_REDIS_URL`` and
declares the scoring actor, which is what the Dramatiq command expects::

    EXAM_REDIS_URL=redis://host:6379/0 EXAM_DATABASE_URL=... EXAM_DATA_DIR=... \\
    python -m dramatiq exam_server.dramatiq_actors

The workers read every other setting from the same ``EXAM_*`` variables as
the server (see :mod:`exam_server.settings`): they need the server's
database and the recordings under its data folder. The server itself never
imports this module; it only sends messages (:class:`exam_server.jobs.DramatiqRunner`).
"""

from __future__ import annotations

import os

import dramatiq

from exam_server.jobs import declare_scoring_actor, make_broker
from exam_server.settings import SettingsError

_redis_url = os.environ.get("EXAM_REDIS_URL")
if not _redis_url:
    raise SettingsError(
        "EXAM_REDIS_URL is not set; Dramatiq scoring workers need the Redis URL "
        "the exam server uses, for example redis://127.0.0.1:6379/0"
    )

broker = make_broker(_redis_url)
dramatiq.set_broker(broker)
score_response = declare_scoring_actor(broker)
