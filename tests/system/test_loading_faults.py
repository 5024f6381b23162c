"""A system's module that misbehaves while it is imported (or its factory while it is called)
is a failed load said in one line, like any other: sys.exit() in it does not end the command
line or the window. Ctrl+C still stops. What it prints goes to stderr, leaving stdout to the
command line's output."""

from __future__ import annotations

import json
import sys

import pytest

from explorer.store import EventStore
from explorer.system.discovery import SystemLoadError, load_system
from tests.cli.running import run


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


PRINTING = '''
    print("hello from my module at import")
    from explorer.domain import DomainModel
    from explorer.system import System

    def make():
        print("hello from my factory")
        return System(name="talker", domain=DomainModel("talker", [], []))
'''


def test_what_a_module_prints_while_loaded_goes_to_stderr(module, capsys):
    name = module("printing_plugin", PRINTING)
    assert load_system(f"{name}:make").name == "talker"
    out, err = capsys.readouterr()
    assert out == "" and err == "hello from my module at import\nhello from my factory\n"


def test_a_printing_module_leaves_the_json_of_the_command_line_whole(module, capsys, tmp_path):
    name = module("printing_cli_plugin", PRINTING)
    with EventStore.open(tmp_path / "any.evstore", create=True):
        pass
    code, out, err = run(capsys, "summary", tmp_path / "any.evstore", "--system", f"{name}:make",
                         "--json")
    assert code == 0 and json.loads(out)["last_position"] == 0
    assert "hello from my module at import" in err


PARTS = '''
    from tests.system.test_definitions import (
        DOMAIN, Archiving, CreateTask, Task, TasksProjection)
    from explorer.system import System

    SYSTEM = System(name="todo", domain=DOMAIN)
    NUMBER = 42

    class Helper:
        pass
'''


@pytest.mark.parametrize(("attribute", "said"), [
    ("Task", "is an aggregate class (Task)"),
    ("Archiving", "is a saga class (Archiving)"),
    ("CreateTask", "is a command class (CreateTask)"),
    ("TasksProjection", "is a projection class (TasksProjection)"),
    ("Helper", "is a class (Helper)"),
    ("System", "is a class (System)"),
    ("DOMAIN", "is a DomainModel"),
    ("NUMBER", "is a int"),
])
def test_a_part_of_a_system_named_instead_of_it_says_which_system_to_name(module, attribute,
                                                                          said):
    name = module("parts_plugin", PARTS)
    with pytest.raises(SystemLoadError) as caught:
        load_system(f"{name}:{attribute}")
    assert str(caught.value).startswith(f"'parts_plugin:{attribute}' {said}")
    assert str(caught.value).endswith(", not an explorer.system.System. Name one of its "
                                      "module's systems: parts_plugin:SYSTEM.")


def test_a_module_that_does_not_parse_says_its_file_and_line(module, tmp_path):
    """(Helper G: a plug-in with a missing colon said 'SyntaxError: expected ':' (plugin.py,
    line 3) (in _call_with_frames_removed, <frozen importlib._bootstrap> line 241)': the file
    without its folder, then a line of Python's import machinery.)"""
    name = module("unparsed_plugin", "import os\n\nclass Ticket(object)\n    pass\n")
    with pytest.raises(SystemLoadError) as caught:
        load_system(f"{name}:SYSTEM")
    said = str(caught.value)
    assert said.startswith("Loading the system 'unparsed_plugin:SYSTEM' failed: its module does "
                           "not parse: SyntaxError: expected ':' (")
    assert f"{tmp_path / 'unparsed_plugin.py'} line 3)" in said
    assert "importlib" not in said and "frozen" not in said


@pytest.mark.parametrize("given", ["{folder}/ticket_plugin.py", "{folder}/ticket_plugin.py:SYSTEM",
                                   "ticket_plugin.py"])
def test_a_file_path_is_answered_with_how_to_name_its_module(tmp_path, given):
    """(Helper G: `--system /path/to/ticketing.py` was told 'No system named ... is installed',
    and `/path/to/ticketing.py:SYSTEM` 'no module named '/path/to/ticketing'', neither saying
    that a system is named by its module.)"""
    (tmp_path / "ticket_plugin.py").write_text("SYSTEM = None\n")
    spec = given.format(folder=tmp_path)
    with pytest.raises(SystemLoadError) as caught:
        load_system(spec)
    folder = tmp_path if spec.startswith(str(tmp_path)) else ""
    assert str(caught.value) == (
        f"{spec!r} is a file: a system is named by its module, with the module's folder on "
        f"Python's path. Run with PYTHONPATH={folder or '.'} and name it "
        "ticket_plugin:SYSTEM (SYSTEM being the name of its System object).")
