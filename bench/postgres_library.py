"""The eventsourcing library's side of `bench/run.py postgres`: its PostgreSQL recorder doing the
work bench/postgres_bench.py gives ours, written as the library's own documentation does it.

The rebuild is the library's projection: a view (a PostgresTrackingRecorder) that each event
updates in a transaction with its tracking row, fed the application's notifications in order,
as its ProjectionRunner feeds a Projection (without the runner's threads, which would only add
to its time).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from eventsourcing.domain import Aggregate, event

MAX_ATTEMPTS = 5
"""A writer's attempts at one command before it gives up (ours: CommandService's)."""

_START: list[Any] = []
"""This writer process's barrier with the others (given by `ready_to_start`)."""


def ready_to_start(barrier: Any) -> None:
    """The writers' pool's initializer: the barrier `start_together` waits at."""
    _START[:] = [barrier]


def start_together() -> None:
    """Wait until every writer process is ready (imported and connected): on two cores, one
    process starting up takes the CPU the others' timed commands would have, on either side."""
    for barrier in _START:
        barrier.wait(timeout=300)


class Order(Aggregate):
    """store_bench's order, at module level: the writer processes resolve its events' topics."""

    @event("Placed")
    def __init__(self, customer_id: str, total: float) -> None:
        self.customer_id, self.total, self.lines = customer_id, total, []

    @event("LineAdded")
    def add_line(self, product_id: str, quantity: int, price: float) -> None:
        self.lines.append((product_id, quantity, price))


def environment(url: sa.URL, schema: str) -> dict[str, str]:
    """The library's settings for the database of `url`, its tables in `schema`."""
    return {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": url.database or "",
            "POSTGRES_HOST": url.host or "127.0.0.1", "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "", "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_SCHEMA": schema, "POSTGRES_POOL_SIZE": "2"}


def application(env: dict[str, str]) -> Any:
    from eventsourcing.application import Application

    return Application(env=env)


def measure(env: dict[str, str], n_agg: int, ev_per: int,
            cpu: Callable[[], float] | None = None) -> dict[str, float]:
    """Events per second of each figure; with `cpu` (a clock of this process's and the
    server's CPU time), also command_cpu and batch_append_cpu, per second of that."""
    app, out = application(env), {}
    clock = cpu or time.process_time
    t, n, c = time.perf_counter(), 0, clock()
    for i in range(n_agg // 4):
        order = Order(customer_id=f"c{i}", total=59.98)
        app.save(order)
        n += 1
        for j in range(ev_per - 1):
            order = app.repository.get(order.id)
            order.add_line(product_id=f"p{j}", quantity=2, price=29.99)
            app.save(order)
            n += 1
    out["command"] = n / (time.perf_counter() - t)
    if cpu is not None:
        out["command_cpu"] = n / (clock() - c)
    t, n, batch, c = time.perf_counter(), 0, [], clock()
    for i in range(n_agg):
        order = Order(customer_id=f"c{i}", total=59.98)
        for j in range(ev_per - 1):
            order.add_line(product_id=f"p{j}", quantity=2, price=29.99)
        batch.append(order)
        n += ev_per
        if len(batch) == 100:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)
    out["batch_append"] = n / (time.perf_counter() - t)
    if cpu is not None:
        out["batch_append_cpu"] = n / (clock() - c)
    t, n = time.perf_counter(), 0
    for _ in notifications(app):
        n += 1
    out["read_all"] = n / (time.perf_counter() - t)
    out["rebuild"] = rebuild(app, env)
    app.close()
    return out


def notifications(app: Any) -> Any:
    """The application's events in order, decoded, with their notification ids."""
    start = 1
    while page := app.recorder.select_notifications(start=start, limit=1000):
        for notification in page:
            yield notification.id, app.mapper.to_domain_event(notification)
        start = page[-1].id + 1


def rebuild(app: Any, env: dict[str, str]) -> float:
    """Events per second of a projection of order totals rebuilt from the whole log."""
    from eventsourcing.persistence import Tracking
    from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
    from psycopg.sql import SQL

    class OrderTotals(PostgresTrackingRecorder):
        def __init__(self, datastore: PostgresDatastore) -> None:
            super().__init__(datastore, tracking_table_name="order_totals_tracking")
            self.sql_create_statements.append(SQL(
                f'CREATE TABLE IF NOT EXISTS "{datastore.schema}".order_totals '
                "(order_id uuid PRIMARY KEY, lines int NOT NULL, total float8 NOT NULL)"))
            self.upsert = (f'INSERT INTO "{datastore.schema}".order_totals VALUES (%s, %s, %s) '
                           "ON CONFLICT (order_id) DO UPDATE SET lines = order_totals.lines "
                           "+ excluded.lines, total = order_totals.total + excluded.total")

        def record(self, order_id: Any, lines: int, total: float, tracking: Tracking) -> None:
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute(self.upsert, (order_id, lines, total), prepare=True)
                self._insert_tracking(cursor, tracking)

    datastore = PostgresDatastore(
        env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], env["POSTGRES_PORT"],
        env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], schema=env["POSTGRES_SCHEMA"])
    view = OrderTotals(datastore)
    view.create_table()
    t, n = time.perf_counter(), 0
    for notification_id, happened in notifications(app):
        tracking = Tracking(app.name, notification_id)
        if hasattr(happened, "total"):
            view.record(happened.originator_id, 0, happened.total, tracking)
        else:
            view.record(happened.originator_id, 1, happened.quantity * happened.price, tracking)
        n += 1
    seconds = time.perf_counter() - t
    datastore.close()
    return n / seconds


def writers_setup(env: dict[str, str], orders: int) -> int:
    """The shared orders, placed; the log's length."""
    app = application(env)
    for i in range(orders):
        order = Order(customer_id=f"w-{i}", total=59.98)
        app.save(order)
    app.close()
    return count(env)


def writer(env: dict[str, str], orders: int, commands: int, seed: int) -> tuple[int, ...]:
    """One writer process: `commands` add_lines on random shared orders, retried on a conflict
    up to MAX_ATTEMPTS times; (events appended, conflicts, commands given up, and when its
    commands started and ended)."""
    from eventsourcing.persistence import IntegrityError

    # (the tables are there: eight processes making them at once fail "concurrently updated")
    app, pick = application({**env, "CREATE_TABLE": "n"}), random.Random(seed)
    ids = [n.originator_id for n in app.recorder.select_notifications(start=1, limit=orders)]
    appended = conflicts = given_up = 0
    start_together()
    started = time.monotonic()
    for _ in range(commands):
        order_id = pick.choice(ids)
        for _attempt in range(MAX_ATTEMPTS):
            order = app.repository.get(order_id)
            order.add_line(product_id="p", quantity=2, price=29.99)
            try:
                app.save(order)
            except IntegrityError:
                conflicts += 1
                continue
            appended += 1
            break
        else:
            given_up += 1
    finished = time.monotonic()
    app.close()
    return appended, conflicts, given_up, started, finished


def count(env: dict[str, str]) -> int:
    """The events in the log (not its last notification id: a failed insert spends one)."""
    app = application(env)
    recorder = app.recorder
    try:
        with recorder.datastore.get_connection() as connection:
            found = connection.execute(f'SELECT count(*) AS n FROM "{env["POSTGRES_SCHEMA"]}".'
                                       f'"{recorder.events_table_name}"').fetchone()
        return int(found["n"]) if found else 0
    finally:
        app.close()
