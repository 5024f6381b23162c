"""A system's module that misbehaves while it is imported (or its factory while it is called)
is a failed load said in one line, like any other: sys.exit() in it does not end the command
line or the window. Ctrl+C still stops."""

from __future__ import annotations

import sys
import textwrap

import pytest

from explorer.system.discovery import SystemLoadError, load_system


@pytest.fixture
def module(tmp_path, monkeypatch):
    """Write a module on the path; its name is returned, and it is forgotten afterwards."""
    made: list[str] = []

    def write(name: str, source: str) -> str:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        made.append(name)
        return name

    monkeypatch.syspath_prepend(str(tmp_path))
    yield write
    for name in made:
        sys.modules.pop(name, None)


@pytest.mark.parametrize(("call", "said"), [("sys.exit(3)", "sys.exit(3)"),
                                            ("sys.exit()", "sys.exit()"),
                                            ("sys.exit('no config')", "sys.exit('no config')")])
def test_a_module_calling_sys_exit_while_imported_is_a_failed_load(module, call, said):
    name = module("exiting_plugin", f"import sys\n{call}\n")
    with pytest.raises(SystemLoadError) as caught:
        load_system(f"{name}:SYSTEM")
    assert str(caught.value) == (f"Loading the system 'exiting_plugin:SYSTEM' failed: its module "
                                 f"called {said} while being imported.")
    assert name not in sys.modules  # (a module failing to import is not kept)


def test_a_factory_calling_sys_exit_is_a_failed_load(module):
    name = module("exiting_factory", '''
        import sys

        def make():
            sys.exit(2)
    ''')
    with pytest.raises(SystemLoadError, match=r"failed: its factory called sys.exit\(2\) when "
                                              "called"):
        load_system(f"{name}:make")


def test_ctrl_c_while_a_module_is_imported_still_stops(module):
    name = module("interrupted_plugin", "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        load_system(f"{name}:SYSTEM")
