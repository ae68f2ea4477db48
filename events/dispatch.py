"""The after-commit delivery tasks, sent off the path of the request that wrote the events.

With a broker, a commit that wrote events only puts their ids on this process's
queue (microseconds); one thread per process takes what is queued within
LINGER_SECONDS of the first and sends one `events.deliver_events` task for all
of it through Celery's producer pool (the broker connection is kept, not opened
per request). A busy process thus sends one task per many requests, not one
each: Celery's publish costs CPU, which a thread still takes from the
requests of its process. A broker that is down, or a process that dies
before its thread sent, only delays the delivery to the next sweep (every
minute): the outbox rows are committed. A process that exits normally (a
management command) waits a few seconds for its queue to be sent.

Without a broker (the embedded default: eager tasks) the task runs right after
the commit, in the request, as before. docs/events.md "Delivery".
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence

from django.db import transaction

logger = logging.getLogger(__name__)

# A queued None means "deliver everything due" (set-based emits, "send again").
DUE = None
# Event ids per task.
BATCH = 500
# How long the thread gathers event ids after the first before it sends them: at most this much
# later than a task per commit would have been.
LINGER_SECONDS = 0.1
# How long a normally exiting process waits for its queue to be sent.
EXIT_WAIT_SECONDS = 5.0

_lock = threading.Lock()
_pid: int | None = None
_queue: queue.Queue | None = None


def after_commit(event_ids: Sequence[int] | None) -> None:
    """Deliver `event_ids` (None: everything due) once the caller's transaction commits."""
    ids = None if event_ids is None else list(event_ids)
    transaction.on_commit(lambda: send(ids), robust=True)


def send(event_ids: list[int] | None) -> None:
    """Send the delivery task now (eager) or hand it to this process's sending thread."""
    from .tasks import deliver_events

    if deliver_events.app.conf.task_always_eager:
        _publish([event_ids])
    else:
        _process_queue().put(event_ids)


def flush(timeout: float = EXIT_WAIT_SECONDS) -> bool:
    """Wait until everything queued in this process was sent (or `timeout`); whether it was."""
    pending = _queue if _pid == os.getpid() else None
    if pending is None:
        return True
    deadline = time.monotonic() + timeout
    with pending.all_tasks_done:
        while pending.unfinished_tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            pending.all_tasks_done.wait(left)
    return True


def _process_queue() -> queue.Queue:
    # One queue and thread per process: a forked child (a Celery worker, a gunicorn worker)
    # starts its own, as the parent's thread does not exist there.
    global _pid, _queue
    pid = os.getpid()
    if _pid == pid and _queue is not None:
        return _queue
    with _lock:
        if _pid != pid or _queue is None:
            fresh: queue.Queue = queue.Queue()
            threading.Thread(
                target=_run, args=(fresh,), name="events-dispatch", daemon=True
            ).start()
            if _pid is None:
                atexit.register(flush)
            _queue, _pid = fresh, pid
    return _queue


def _run(pending: queue.Queue) -> None:
    while True:
        items = [pending.get()]
        # Sleeps rather than waiting on the queue: a commit's put then wakes nothing.
        time.sleep(LINGER_SECONDS)
        while True:
            try:
                items.append(pending.get_nowait())
            except queue.Empty:
                break
        try:
            _publish(items)
        finally:
            for _ in items:
                pending.task_done()


def _publish(items: list[list[int] | None]) -> None:
    """One deliver_due when any item asks for it (it fans out every event), else deliver_events."""
    from . import tasks

    try:
        if any(item is DUE for item in items):
            tasks.deliver_due.delay()
            return
        ids = [event_id for item in items for event_id in item]
        for start in range(0, len(ids), BATCH):
            tasks.deliver_events.delay(ids[start : start + BATCH])
    except Exception:
        # The broker is down (or, eager, the task failed): the sweep delivers these events.
        logger.warning("events: the delivery task was not sent or failed; the sweep will retry")
