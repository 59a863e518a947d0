"""While the watcher runs, search reflects every modify, add, delete and rename."""

from __future__ import annotations

import asyncio
import time

from aiide_tui.index.freshness import keep_fresh

DEADLINE_S = 10.0


async def until(predicate) -> float:
    started = time.monotonic()
    while not await asyncio.to_thread(predicate):
        assert time.monotonic() - started < DEADLINE_S, "the index did not catch up"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def symbols(index, query: str) -> set[str]:
    return {r.symbol for r in index.search(query, 10)}


async def test_watcher_keeps_search_fresh(index, project):
    stop = asyncio.Event()
    task = asyncio.create_task(keep_fresh(index, debounce_ms=20, stop_event=stop))
    await asyncio.sleep(0.3)  # the watcher is up
    try:
        (project / "shop/shell.py").write_text("def escape_for_terminal(text):\n    return text\n")
        await until(
            lambda: "shop.shell.escape_for_terminal" in symbols(index, "escape_for_terminal")
        )
        assert "shop.shell.quote_arg" not in symbols(index, "quote_arg")

        (project / "shop/coupons.py").write_text("def apply_coupon(cart, code):\n    return 0\n")
        await until(lambda: "shop.coupons.apply_coupon" in symbols(index, "apply coupon"))

        (project / "shop/coupons.py").unlink()
        await until(lambda: not symbols(index, "apply_coupon"))

        (project / "shop/cart.py").rename(project / "shop/basket.py")
        await until(lambda: "shop.basket.Cart" in symbols(index, "Cart total_cents"))
        assert not any(s.startswith("shop.cart") for s in symbols(index, "Cart total_cents"))
        # Search sees a file as soon as it is stored; its links follow in the next
        # transaction, so the graph catches up a moment later.
        await until(lambda: index.status()["pending"] == 0)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
