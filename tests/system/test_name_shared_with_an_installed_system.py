"""A store written by a user's system loaded by module path, named as an installed system is
(review: a store of `pkg.dup:SHOP`, named "shop", was opened with the installed demo shop, whose
code knew none of its types)."""

from __future__ import annotations

import pytest

from explorer.system.discovery import (
    META_MODULE,
    META_NAME,
    SystemLoadError,
    installed_systems,
    system_of_store,
)

SHOP_VALUE = next(s.value for s in installed_systems() if s.name == "shop")


def test_its_own_code_is_asked_for_not_the_installed_namesakes():
    asked = []
    meta = {META_NAME: "shop", META_MODULE: "tests.system.elsewhere:SHOP"}
    with pytest.raises(SystemLoadError) as refused:
        system_of_store(meta, ["TaskCreated"], confirm=lambda module: asked.append(module))
    assert asked == ["tests.system.elsewhere:SHOP"]
    assert str(refused.value) == (
        "The store was written by the system 'shop' loaded from tests.system.elsewhere:SHOP, "
        f"not by the installed 'shop' ({SHOP_VALUE}), which shares its name. Pass --system "
        "tests.system.elsewhere:SHOP (File > Load System... in the window) to explore it with "
        "its own code, or --system shop for the installed one.")


def test_the_installed_system_named_by_its_own_module_path_is_loaded_without_asking():
    meta = {META_NAME: "shop", META_MODULE: SHOP_VALUE}
    system = system_of_store(meta, [], confirm=lambda module: pytest.fail("asked"))
    assert system.name == "shop"
    assert system_of_store({META_NAME: "shop"}, []).name == "shop"
