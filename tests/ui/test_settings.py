"""The settings read back what was saved, and a value of an unexpected kind (a settings file
edited by hand) reads as nothing remembered rather than breaking the window."""

from __future__ import annotations

from explorer.ui import settings


def test_recent_stores_of_an_unexpected_kind_read_as_none():
    before = settings.recent_stores()
    try:
        settings._put("stores/recent", 5)
        assert settings.recent_stores() == []
        assert settings.remember_store("/data/a.evstore") == ["/data/a.evstore"]
        assert settings.recent_stores() == ["/data/a.evstore"]
    finally:
        settings._put("stores/recent", before)


def test_a_recent_store_whose_name_is_not_utf8_is_read_back_as_it_was():
    """Python keeps a name that is not UTF-8 (Latin-1's café, byte 0xe9) as a lone surrogate,
    which a Qt string cannot hold: the recent list read it back as caf.evstore, another file,
    which Open Recent then opened (or offered to create). It is kept as a file:// URI of its
    bytes now, and read back as the same path."""
    before = settings.recent_stores()
    odd, plain = "/data/caf\udce9.evstore", "/data/a.evstore"
    try:
        assert settings.remember_store(plain) == [plain, *before][:settings.MAX_RECENT]
        settings.remember_store(odd)
        assert settings.recent_stores()[:2] == [odd, plain]
        assert settings.forget_store(plain)[:1] == [odd]
        assert settings.recent_stores()[:1] == [odd]
    finally:
        settings._put("stores/recent", before)


def test_stores_whose_names_differ_in_a_byte_that_is_not_utf8_have_settings_of_their_own():
    """The sagas' choice and the pinned watches are kept by the store's path, a byte of it that
    is not UTF-8 a lone surrogate to Python, which Python cannot read back from a Qt string
    (it dropped them: caf.evstore). The key now holds such a name as a file:// URI of its
    bytes, plain UTF-8, as the recent stores hold it (f0571c0)."""
    first, second = "/data/caf\udce9.evstore", "/data/caf\udce8.evstore"
    settings.remember_sagas(first, True)
    settings.remember_sagas(second, False)
    assert settings.sagas_enabled(first, False) is True
    assert settings.sagas_enabled(second, True) is False
    settings.save_watches(first, ["state.total"])
    settings.save_watches(second, [])
    assert settings.watches(first) == ["state.total"]
    assert settings.watches(second) == []
    assert settings.sagas_enabled("/data/caf.evstore", True) is True  # (nor that store's)
    settings.remember_sagas("/data/a|b.evstore", True)  # a plain path keeps its key as before
    assert settings._settings().value("sagas/|data|a|b.evstore") in (True, "true")
    keys = settings._settings().allKeys()  # (read back from Qt: such a byte was dropped)
    assert "sagas/file:|||data|caf%E9.evstore" in keys
    assert "sagas/file:|||data|caf%E8.evstore" in keys


def test_a_store_whose_name_is_not_utf8_keeps_the_settings_kept_before_its_key_changed():
    """Its sagas' choice and pinned watches were kept under its path as Python holds it (the
    byte a lone surrogate, which the INI file writes as %UDCE9 and finds again) until cc26571
    keyed them by a file:// URI of its bytes: read from there while none is kept under that
    key, they are not lost (its sagas ran again, its watches were gone)."""
    path = "/kept/caf\udce9.evstore"
    settings._put("sagas/|kept|caf\udce9.evstore", False)  # as kept before
    settings._put("watches/|kept|caf\udce9.evstore", '["state.total"]')
    assert settings.sagas_enabled(path, True) is False
    assert settings.watches(path) == ["state.total"]
    assert settings.sagas_enabled("/kept/caf\udce8.evstore", True) is True  # (another's)
    settings.remember_sagas(path, True)  # kept under its key now, which is read first
    settings.save_watches(path, [])
    assert settings.sagas_enabled(path, False) is True and settings.watches(path) == []
