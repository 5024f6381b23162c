"""A module path naming an attribute its module has not says which systems the module holds;
an AttributeError raised by the module's own code while it is imported is said as its fault,
with its line, not as if the path were wrong (it said "Cannot load the system
'plug:SYSTEM': module 'other' has no attribute 'SYTEM'.", found with a system of my own)."""

from __future__ import annotations

import sys
import textwrap

import pytest

from explorer.system.discovery import SystemLoadError, load_system


@pytest.fixture
def modules(tmp_path, monkeypatch):
    (tmp_path / "attr_plugin.py").write_text(textwrap.dedent('''
        from explorer.domain import DomainModel
        from explorer.system import System

        SYSTEM = System(name="mine", domain=DomainModel("mine", [], []))
    '''))
    (tmp_path / "attr_typo_plugin.py").write_text(textwrap.dedent('''
        import attr_plugin

        SYSTEM = attr_plugin.SYTEM
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("attr_plugin", "attr_typo_plugin"):
        sys.modules.pop(name, None)


def test_a_missing_attribute_names_the_modules_systems(modules):
    with pytest.raises(SystemLoadError) as caught:
        load_system("attr_plugin:SYSTME")
    assert str(caught.value) == ("Cannot load the system 'attr_plugin:SYSTME': module "
                                 "'attr_plugin' has no attribute 'SYSTME'. Name one of its "
                                 "module's systems: attr_plugin:SYSTEM.")


def test_an_attribute_error_of_the_modules_own_code_is_its_fault_with_its_line(modules):
    with pytest.raises(SystemLoadError) as caught:
        load_system("attr_typo_plugin:SYSTEM")
    said = str(caught.value)
    assert said.startswith("Loading the system 'attr_typo_plugin:SYSTEM' failed: its module "
                           "raised AttributeError: module 'attr_plugin' has no attribute "
                           "'SYTEM' while being imported (in <module>, ")
    assert "attr_typo_plugin.py line 4)" in said and "\n" not in said


def test_any_other_error_of_the_systems_code_says_its_line(tmp_path, monkeypatch):
    (tmp_path / "raising_plugin.py").write_text("x = {}\nSYSTEM = x['system']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(SystemLoadError) as caught:
            load_system("raising_plugin:SYSTEM")
    finally:
        sys.modules.pop("raising_plugin", None)
    said = str(caught.value)
    assert said.startswith("Loading the system 'raising_plugin:SYSTEM' failed: KeyError: "
                           "'system' (in <module>, ")
    assert "raising_plugin.py line 2)" in said


def test_a_missing_attribute_of_a_class_the_path_names_is_the_paths_not_the_modules_fault(
        modules):
    # (since the check above, it was said as the module's code failing "while being
    # imported", at a line of the explorer's own)
    with pytest.raises(SystemLoadError) as caught:
        load_system("attr_plugin:System.SYSTEM")
    said = str(caught.value)
    assert said.startswith("Cannot load the system 'attr_plugin:System.SYSTEM': type object "
                           "'System' has no attribute 'SYSTEM'."), said
    assert "while being imported" not in said
