"""solv's Redis link against a real ``redis-server``: restarted, then gone."""

from __future__ import annotations

import pytest

from solvstack.proxy.sharedcache import RedisLink
from tests.scale.services import RedisServer, missing_binaries


@pytest.mark.skipif("redis-server" in missing_binaries(), reason="needs Debian's redis-server (.ci/run installs it)")
async def test_a_redis_restart_costs_no_call_and_a_stopped_redis_is_down() -> None:
    """A connection pooled before Redis restarted fails once; the link retries it within its budget, so
    the first call after the restart is served by Redis. A Redis that is gone is down after that retry."""
    from litellm.caching.redis_cache import RedisCache

    with RedisServer() as server:
        link = RedisLink(RedisCache(host="127.0.0.1", port=server.port), "test", timeout_s=1.0, retry_after_s=10)
        assert await link.set("k", ["HIGH", 0.9], 60)
        assert await link.get("k") == (True, ["HIGH", 0.9])  # a pooled connection now exists
        server.stop()
        server.start()  # same port, empty (no persistence)
        assert await link.get("k") == (True, None)  # answered by the restarted Redis: a miss, not a failure
        assert not link.down
        server.stop()
        assert await link.get("k") == (False, None)
        assert link.down
