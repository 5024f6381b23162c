"""The demo shop's product catalogue: reference data that orders and inventory name products by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    name: str
    price: float


PRODUCTS: dict[str, Product] = {p.product_id: p for p in [
    Product("prod_101", "Widget", 29.99),
    Product("prod_102", "Gadget", 49.50),
    Product("prod_103", "Sprocket", 4.25),
    Product("prod_104", "Gizmo", 79.00),
    Product("prod_105", "Doohickey", 12.75),
    Product("prod_106", "Thingamajig", 18.40),
    Product("prod_107", "USB-C cable (2 m)", 9.99),
    Product("prod_108", "Desk lamp", 34.90),
    Product("prod_109", "Notebook (A5, dotted)", 6.50),
    Product("prod_110", "Fountain pen", 24.00),
    Product("prod_111", "Coffee mug", 11.00),
    Product("prod_112", "Headphones", 89.00),
    Product("prod_113", "Mechanical keyboard", 119.00),
    Product("prod_114", "Wireless mouse", 29.00),
    Product("prod_115", "Monitor stand", 45.00),
    Product("prod_116", "Webcam", 59.99),
    Product("prod_117", "Phone charger", 19.99),
    Product("prod_118", "Backpack", 64.00),
    Product("prod_119", "Water bottle", 15.50),
    Product("prod_120", "Flux capacitor", 1985.00),
    Product("prod_123", "Widget Pro", 29.99),
]}


def product_name(product_id: str) -> str:
    product = PRODUCTS.get(product_id)
    return product.name if product else product_id


def check_product(product_id: str) -> str:
    """The id if the catalogue has it; else ValueError listing where to look."""
    if product_id not in PRODUCTS:
        raise ValueError(f"unknown product {product_id!r}; products are prod_101 to prod_120 "
                         "and prod_123")
    return product_id


def money(amount: float) -> float:
    """Round an amount to cents, the way every total in the demo is kept."""
    return round(amount + 0.0, 2)
