"""`make load`'s traffic: API clients reading the account list, and load balancers probing health.

Each simulated client sends a steady number of requests a second
(`constant_throughput`), so the total offered rate is users x LOAD_USER_RATE
whatever the latency - a steady rate, not "as fast as possible". The key
comes from LOAD_API_TOKEN (a read-only key; scripts/load.sh creates it).

Mix: the accounts list (the first page with the health summary, a filtered
page ordered by score, and the next page through the cursor), the health of
a random account of the data set (`/api/v1/accounts/{external_id}/health/`,
almost never the same twice) and the two probes /healthz and /readyz.
"""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, constant_throughput, task

TOKEN = os.environ.get("LOAD_API_TOKEN", "")
USER_RATE = float(os.environ.get("LOAD_USER_RATE", "10"))
# Weight of the filtered page (vertical + colour, ordered by score) against 5 first pages,
# 1 next page and 1 of each health probe; 0 leaves it out.
FILTERED_WEIGHT = int(os.environ.get("LOAD_FILTERED_WEIGHT", "2"))
# Weight of an account's health; the accounts are bench/api_bench.py's `bench-0000000`….
HEALTH_WEIGHT = int(os.environ.get("LOAD_HEALTH_WEIGHT", "2"))
ACCOUNTS = int(os.environ.get("LOAD_ACCOUNTS", "100000"))
VERTICALS = (
    "manufacturing",
    "consumer_retail",
    "energy_resources",
    "agri_food",
    "conglomerate_services",
)
COLORS = ("green", "yellow", "red")


class APIClient(FastHttpUser):
    wait_time = constant_throughput(USER_RATE)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Token {TOKEN}"}
        self.next_page: str | None = None

    @task(5)
    def account_list(self) -> None:
        with self.client.get(
            "/api/v1/accounts/?page_size=50",
            headers=self.headers,
            name="/api/v1/accounts/ (first page)",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.next_page = response.json().get("next")
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @task(FILTERED_WEIGHT)
    def account_list_filtered(self) -> None:
        self.client.get(
            f"/api/v1/accounts/?page_size=50&vertical={random.choice(VERTICALS)}"
            f"&color={random.choice(COLORS)}&ordering=-score",
            headers=self.headers,
            name="/api/v1/accounts/ (vertical + colour, by score)",
        )

    @task(1)
    def account_list_next_page(self) -> None:
        if self.next_page is None:
            return self.account_list()
        self.client.get(
            self.next_page, headers=self.headers, name="/api/v1/accounts/ (next page, cursor)"
        )

    @task(HEALTH_WEIGHT)
    def account_health(self) -> None:
        self.client.get(
            f"/api/v1/accounts/bench-{random.randrange(ACCOUNTS):07d}/health/",
            headers=self.headers,
            name="/api/v1/accounts/{external_id}/health/",
        )

    @task(1)
    def healthz(self) -> None:
        self.client.get("/healthz", name="/healthz")

    @task(1)
    def readyz(self) -> None:
        self.client.get("/readyz", name="/readyz")
