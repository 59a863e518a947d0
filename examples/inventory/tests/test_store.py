import pytest

from inventory import InsufficientStock, Item, Store


def make_store() -> Store:
    store = Store()
    store.add_item(Item("A-1", "anvil", 2500))
    return store


def test_receive_and_ship():
    store = make_store()
    store.receive("A-1", 4)
    assert store.ship("A-1", 3) == 1
    assert [m.delta for m in store.movements] == [4, -3]


def test_cannot_ship_more_than_stock():
    with pytest.raises(InsufficientStock):
        make_store().ship("A-1", 1)


def test_stock_value():
    store = make_store()
    store.receive("A-1", 2)
    assert store.stock_value_cents() == 5000
