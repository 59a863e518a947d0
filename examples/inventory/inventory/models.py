from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    unit_price_cents: int

    def price_for(self, quantity: int) -> int:
        """Total price in cents for `quantity` units."""
        return self.unit_price_cents * quantity


@dataclass(frozen=True)
class Movement:
    sku: str
    delta: int
    reason: str
    at: datetime

    @classmethod
    def now(cls, sku: str, delta: int, reason: str) -> Movement:
        return cls(sku, delta, reason, datetime.now(timezone.utc))
