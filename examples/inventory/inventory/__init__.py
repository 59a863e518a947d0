"""Track items in stock and the movements that change them."""

from inventory.models import Item, Movement
from inventory.store import InsufficientStock, Store

__all__ = ["InsufficientStock", "Item", "Movement", "Store"]
