"""The shop's read models: order summaries, stock, revenue per day, orders per customer, sagas.

Each is a versioned table (see explorer.projections.versioned), so any of them can be read as of
any past position. Timestamps are ISO 8601 text in UTC; money is rounded to cents.
"""

from __future__ import annotations

import sqlalchemy as sa

from explorer.demo import DEMO_DOMAIN
from explorer.demo.catalogue import money, product_name
from explorer.demo.fulfilment import OrderFulfilment
from explorer.projections import Projection, Writes, versioned_table
from explorer.projections.timetext import day, iso
from explorer.sagas.instances import SagaInstancesProjection, followed_event_types, saga_tables
from explorer.store.records import RecordedEvent

metadata = sa.MetaData()
Text, Integer, Float = sa.Text, sa.Integer, sa.Float

order_summary = versioned_table("order_summary", metadata, [sa.Column("order_id", Text)], [
    sa.Column("customer_id", Text), sa.Column("customer_name", Text), sa.Column("status", Text),
    sa.Column("total", Float), sa.Column("currency", Text), sa.Column("item_count", Integer),
    sa.Column("created_at", Text), sa.Column("updated_at", Text)])
customer_names = versioned_table("customer_names", metadata, [sa.Column("customer_id", Text)],
                                 [sa.Column("name", Text)])
stock = versioned_table("stock", metadata, [sa.Column("product_id", Text)], [
    sa.Column("name", Text), sa.Column("on_hand", Integer), sa.Column("reserved", Integer),
    sa.Column("available", Integer)])
revenue_per_day = versioned_table("revenue_per_day", metadata, [
    sa.Column("day", Text), sa.Column("currency", Text)], [
    sa.Column("orders_paid", Integer), sa.Column("revenue", Float), sa.Column("refunds", Float),
    sa.Column("net", Float)])
orders_per_customer = versioned_table("orders_per_customer", metadata, [
    sa.Column("customer_id", Text)], [
    sa.Column("customer_name", Text), sa.Column("orders", Integer), sa.Column("cancelled", Integer),
    sa.Column("total_spent", Float), sa.Column("last_order_at", Text)])
saga_instances, saga_step_commands = saga_tables(OrderFulfilment, metadata,
                                                [sa.Column("order_id", Text)])


STATUS_AFTER = {"OrderPaid": "paid", "OrderShipped": "shipped", "OrderCancelled": "cancelled"}
"""An order's status after each event that changes it (besides being placed)."""


class OrderSummaryProjection(Projection):
    name = "order_summary"
    title = "Order summary"
    description = "One row per order: customer, status, total, items, when created and changed."
    event_types = frozenset({"OrderPlaced", "OrderItemAdded", "OrderItemRemoved", "OrderPaid",
                             "OrderShipped", "OrderCancelled", "CustomerRegistered"})
    event_fields = frozenset({"stream_id", "timestamp_us"})
    tables = (order_summary, customer_names)
    keeps_rows = True

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        kind, data = event.event_type, event.data
        if kind == "CustomerRegistered":
            writes.put("customer_names", (data["customer_id"],), name=data["name"])
            return
        when = iso(event.timestamp_us)
        key = (event.stream_id,)
        if kind == "OrderPlaced":
            customer = writes.get("customer_names", data["customer_id"])
            writes.put("order_summary", key, customer_id=data["customer_id"],
                       customer_name=customer["name"] if customer else None, status="placed",
                       total=data["total"], currency=data["currency"],
                       item_count=sum(line["quantity"] for line in data["items"]),
                       created_at=when, updated_at=when)
            return
        row = writes.get("order_summary", *key)
        if row is None:
            return  # an order placed before the events this store kept: nothing to update
        if kind == "OrderItemAdded":
            row["total"] = data["new_total"]
            row["item_count"] += data["quantity"]
        elif kind == "OrderItemRemoved":
            row["total"] = data["new_total"]
            row["item_count"] -= data["quantity_removed"]
        else:
            row["status"] = STATUS_AFTER[kind]
        row["updated_at"] = when
        writes.put("order_summary", key, **row)


class StockProjection(Projection):
    name = "stock"
    title = "Stock per product"
    description = "Units on hand, reserved for orders, and available, per product."
    event_types = frozenset({"InventoryStockReceived", "InventoryReserved",
                             "InventoryReservationReleased", "InventoryDispatched"})
    event_fields = frozenset({"stream_id"})
    tables = (stock,)
    keeps_rows = True

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        data = event.data
        key = (event.stream_id,)
        row = writes.get("stock", *key) or {"name": data.get("name") or product_name(key[0]),
                                            "on_hand": 0, "reserved": 0, "available": 0}
        kind = event.event_type
        if kind == "InventoryStockReceived":
            row["on_hand"] += data["quantity"]
        elif kind == "InventoryReserved":
            row["reserved"] += data["quantity"]
        elif kind == "InventoryReservationReleased":
            row["reserved"] -= data["quantity"]
        else:  # dispatched: reserved units leave the warehouse
            row["reserved"] -= data["quantity"]
            row["on_hand"] -= data["quantity"]
        row["available"] = row["on_hand"] - row["reserved"]
        writes.put("stock", key, **row)


class RevenuePerDayProjection(Projection):
    name = "revenue_per_day"
    title = "Revenue per day"
    description = "Paid orders, revenue and refunds per UTC day and currency."
    event_types = frozenset({"OrderPaid", "PaymentRefunded"})
    event_fields = frozenset({"timestamp_us"})
    tables = (revenue_per_day,)
    keeps_rows = True

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        data = event.data
        key = (day(event.timestamp_us), data.get("currency", "USD"))
        row = writes.get("revenue_per_day", *key) or {"orders_paid": 0, "revenue": 0.0,
                                                      "refunds": 0.0, "net": 0.0}
        if event.event_type == "OrderPaid":
            row["orders_paid"] += 1
            row["revenue"] = money(row["revenue"] + data["amount"])
        else:
            row["refunds"] = money(row["refunds"] + data["amount"])
        row["net"] = money(row["revenue"] - row["refunds"])
        writes.put("revenue_per_day", key, **row)


class OrdersPerCustomerProjection(Projection):
    name = "orders_per_customer"
    title = "Orders per customer"
    description = "How many orders each customer placed and cancelled, and what they spent."
    event_types = frozenset({"CustomerRegistered", "OrderPlaced", "OrderPaid", "OrderCancelled",
                             "PaymentRefunded"})
    event_fields = frozenset({"timestamp_us"})
    tables = (orders_per_customer,)
    keeps_rows = True

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        data = event.data
        customer_id = data.get("customer_id")
        if not customer_id:
            return
        key = (customer_id,)
        row = writes.get("orders_per_customer", *key) or {
            "customer_name": None, "orders": 0, "cancelled": 0, "total_spent": 0.0,
            "last_order_at": None}
        kind = event.event_type
        if kind == "CustomerRegistered":
            row["customer_name"] = data["name"]
        elif kind == "OrderPlaced":
            row["orders"] += 1
            row["last_order_at"] = iso(event.timestamp_us)
        elif kind == "OrderPaid":
            row["total_spent"] = money(row["total_spent"] + data["amount"])
        elif kind == "OrderCancelled":
            row["cancelled"] += 1
        else:
            row["total_spent"] = money(row["total_spent"] - data["amount"])
        writes.put("orders_per_customer", key, **row)


class FulfilmentSagasProjection(SagaInstancesProjection):
    name = "sagas"
    title = "Order fulfilment sagas"
    description = "Every fulfilment saga: its status, current step and progress."
    version = 2  # 2: progress from the saga's step table, steps' commands included
    saga = OrderFulfilment
    event_types = followed_event_types(OrderFulfilment, DEMO_DOMAIN.aggregates.values())
    tables = (saga_instances, saga_step_commands)


def shop_projections() -> list[Projection]:
    return [OrderSummaryProjection(), StockProjection(), RevenuePerDayProjection(),
            OrdersPerCustomerProjection(), FulfilmentSagasProjection()]



SHOP_PROJECTIONS = {projection.name: projection for projection in shop_projections()}
"""The shop's projections by name, for what they declare (name, title, tables): an engine gets
instances of its own from `shop_projections()` (the sagas' one keeps a cache while it runs)."""
