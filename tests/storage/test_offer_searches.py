"""The live offers searches cached by their criteria (storage/offer_searches.py), on both backends."""

from __future__ import annotations

import datetime as dt

from storage import Database

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


async def test_a_search_is_fresh_then_kept_then_purged(db: Database) -> None:
    async with db.transaction() as uow:
        assert await uow.offer_searches.find("k1", NOW) is None
        await uow.offer_searches.store("k1", [{"id": "1"}], NOW, DAY)
        await uow.offer_searches.store("k2", [], NOW - 3 * DAY, DAY)
    async with db.transaction() as uow:
        fresh = await uow.offer_searches.find("k1", NOW + dt.timedelta(hours=23))
        stale = await uow.offer_searches.find("k1", NOW + dt.timedelta(hours=25))
        assert fresh is not None and fresh.fresh and fresh.offers == [{"id": "1"}] and fresh.fetched_at == NOW
        assert stale is not None and not stale.fresh
        await uow.offer_searches.store("k1", [{"id": "2"}], NOW + DAY, DAY)  # replaced, not added
        assert await uow.offer_searches.purge(NOW - DAY) == 1
    async with db.transaction() as uow:
        again = await uow.offer_searches.find("k1", NOW + DAY)
        assert again is not None and again.offers == [{"id": "2"}] and again.fresh
        assert await uow.offer_searches.find("k2", NOW) is None
