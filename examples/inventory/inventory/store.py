from __future__ import annotations

from collections import defaultdict

from inventory.models import Item, Movement


class InsufficientStock(Exception):
    """Raised when a removal would take the stock below zero."""


class Store:
    """Items and their stock levels, with a log of every movement."""

    def __init__(self) -> None:
        self._items: dict[str, Item] = {}
        self._levels: dict[str, int] = defaultdict(int)
        self.movements: list[Movement] = []

    def add_item(self, item: Item) -> None:
        self._items[item.sku] = item

    def receive(self, sku: str, quantity: int) -> int:
        return self._move(sku, quantity, "received")

    def ship(self, sku: str, quantity: int) -> int:
        if self._levels[sku] < quantity:
            raise InsufficientStock(f"{sku}: {self._levels[sku]} in stock, {quantity} asked")
        return self._move(sku, -quantity, "shipped")

    def level(self, sku: str) -> int:
        return self._levels[sku]

    def stock_value_cents(self) -> int:
        return sum(item.price_for(self._levels[sku]) for sku, item in self._items.items())

    def _move(self, sku: str, delta: int, reason: str) -> int:
        if sku not in self._items:
            raise KeyError(f"unknown item {sku}")
        self._levels[sku] += delta
        self.movements.append(Movement.now(sku, delta, reason))
        return self._levels[sku]
