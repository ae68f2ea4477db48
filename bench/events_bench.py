"""Events figures for `make bench`: what the outbox adds to a request, and deliveries per second.

1. `POST /api/v1/visits/` in-process (Django's test client, a write token), with
   no subscription and with 5 active subscriptions, in alternating blocks so both
   see the same machine. With subscriptions the request also writes the outbox
   row and, after commit, hands its id to the process's dispatch thread, which
   sends `events.deliver_events` (events/dispatch.py) to a Redis queue nobody
   consumes when `--broker` is given (as in production, where a worker takes it),
   else the task would run in-process and the figure would include the POSTs.
2. Deliveries per second: `--deliveries` events of `--delivery-accounts` accounts
   for one subscription, delivered by one process (`events.services.deliver_due`,
   what one worker's sweep runs) to a receiver on 127.0.0.1 (a ThreadingHTTPServer
   answering 200), in order per account.

Standalone:
    DATABASE_URL=postgres://… python -m bench.events_bench [--accounts 1000] [--broker redis://…]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SUBSCRIPTIONS = 5


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def _start_receiver() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _writer():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from verticals.api.tokens import issue_api_token

    user, _created = get_user_model().objects.get_or_create(
        username="bench_events_writer", defaults={"is_staff": True, "is_superuser": True}
    )
    _token, key = issue_api_token(user=user, name="bench events", can_write=True)
    return user, Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="127.0.0.1")


def _post_visits(client, external_ids: list[str], count: int) -> list[float]:
    timings = []
    for n in range(count):
        body = {
            "account": external_ids[n % len(external_ids)],
            "purpose": "Bench visit",
            "summary": "Measured by bench/events_bench.py",
        }
        started = time.perf_counter()
        response = client.post("/api/v1/visits/", body, content_type="application/json")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.content[:300]
    return timings


def _summary(timings: list[float]) -> dict:
    ordered = sorted(timings)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[max(0, int(round(0.95 * len(ordered))) - 1)],
    }


def visit_post_figures(*, receiver_url: str, requests: int, blocks: int = 20) -> list[dict]:
    from accounts.models import Account
    from events.models import Event, Subscription

    user, client = _writer()
    last_event = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    external_ids = list(Account.objects.order_by("id").values_list("external_id", flat=True)[:50])
    _post_visits(client, external_ids, 5)  # warm up
    subscriptions = [
        Subscription(url=receiver_url, events=["*"], created_by=user, active=False)
        for _ in range(SUBSCRIPTIONS)
    ]
    Subscription.objects.bulk_create(subscriptions)
    ids = [s.pk for s in Subscription.objects.filter(created_by=user)]
    timings: dict[int, list[float]] = {0: [], SUBSCRIPTIONS: []}
    per_block = max(1, requests // blocks)
    try:
        for _ in range(blocks):
            for active in (0, SUBSCRIPTIONS):
                Subscription.objects.filter(pk__in=ids).update(active=bool(active))
                timings[active] += _post_visits(client, external_ids, per_block)
    finally:
        Subscription.objects.filter(pk__in=ids).delete()
        Event.objects.filter(id__gt=last_event).delete()  # their deliveries were never due
    base = _summary(timings[0])
    rows = [{"case": "no subscription", **base, "ratio": 1.0}]
    with_subs = _summary(timings[SUBSCRIPTIONS])
    rows.append(
        {
            "case": f"{SUBSCRIPTIONS} subscriptions (outbox row + task sent)",
            **with_subs,
            "ratio": with_subs["median_ms"] / base["median_ms"],
        }
    )
    for row in rows:
        row["added_ms"] = row["median_ms"] - base["median_ms"]
    return rows


def delivery_figures(*, receiver_url: str, deliveries: int, accounts: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from events import services
    from events.models import Delivery, Event, EventType, Subscription

    user = get_user_model().objects.get(username="bench_events_writer")
    subscription = Subscription.objects.create(url=receiver_url, events=["*"], created_by=user)
    try:
        Event.objects.bulk_create(
            [
                Event(
                    type=EventType.VISIT_LOGGED,
                    occurred_at=timezone.now(),
                    account_external_id=f"bench-delivery-{n % accounts}",
                    account_name="Bench",
                    vertical_code="manufacturing",
                    data={"visit": {"id": n}},
                )
                for n in range(deliveries)
            ]
        )
        started = time.perf_counter()
        attempted = services.deliver_due(limit=deliveries * 2)
        seconds = time.perf_counter() - started
        delivered = Delivery.objects.filter(subscription=subscription, status="delivered").count()
    finally:
        Event.objects.filter(account_external_id__startswith="bench-delivery-").delete()
        subscription.delete()
    return {
        "deliveries": delivered,
        "attempted": attempted,
        "seconds": seconds,
        "per_second": delivered / seconds if seconds else 0.0,
    }


def markdown(post_rows: list[dict], delivery: dict, requests: int) -> str:
    lines = [
        f"`POST /api/v1/visits/`, {requests} requests per case in alternating blocks "
        "(target: subscriptions add at most 10%):",
        "",
        "| case | median ms | p95 ms | median added ms | × no subscription |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r['case']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['added_ms']:+.1f} "
        f"| {r['ratio']:.2f} |"
        for r in post_rows
    ]
    lines += [
        "",
        f"Deliveries to a receiver on 127.0.0.1 by one process: {delivery['deliveries']:,} "
        f"delivered in {delivery['seconds']:.1f} s, **{delivery['per_second']:.0f} per second** "
        "(signed JSON, one POST each, in order per account).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000, help="accounts to have (synthetic)")
    parser.add_argument("--requests", type=int, default=80, help="visit POSTs per case")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--delivery-accounts", type=int, default=50)
    parser.add_argument("--broker", default="", help="Redis URL for the after-commit task")
    parser.add_argument("--output", type=Path, help="also write the figures to this file")
    options = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench.api_bench import ensure_data
    from config.celery import app

    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_ALLOW_HTTP = True
    queue = f"events-bench-{uuid.uuid4().hex[:8]}"
    if options.broker:
        app.conf.update(
            broker_url=options.broker, task_always_eager=False, task_default_queue=queue
        )
    ensure_data(options.accounts)
    server = _start_receiver()
    receiver_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        post_rows = visit_post_figures(receiver_url=receiver_url, requests=options.requests)
        delivery = delivery_figures(
            receiver_url=receiver_url,
            deliveries=options.deliveries,
            accounts=options.delivery_accounts,
        )
    finally:
        server.shutdown()
        if options.broker:
            import redis

            from events import dispatch

            dispatch.flush()  # what the dispatch thread still holds, before the queue goes

            redis.Redis.from_url(options.broker).delete(queue)
    header = (
        f"Events on {connection.vendor}, in-process, task sent to "
        f"{'Redis' if options.broker else 'nobody (eager)'}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    text = f"{header}\n\n{markdown(post_rows, delivery, options.requests)}"
    print(text)
    if options.output:
        options.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
