from server.extensions.cache import TTLCache


def test_a_cached_value_is_served_until_it_expires():
    now = [100.0]
    cache = TTLCache(5.0, clock=lambda: now[0])
    assert cache.get("k", lambda: "a") == "a"
    now[0] += 4
    assert cache.get("k", lambda: "b") == "a"
    now[0] += 2
    assert cache.get("k", lambda: "c") == "c"


def test_none_is_cached_too():
    loads = []
    cache = TTLCache(5.0)
    cache.get("missing", lambda: loads.append(1))
    cache.get("missing", lambda: loads.append(1))
    assert len(loads) == 1


def test_the_cache_never_holds_more_than_its_limit():
    cache = TTLCache(5.0, max_entries=3)
    for key in "abcdef":
        cache.get(key, lambda: 1)
    assert len(cache._entries) <= 3
