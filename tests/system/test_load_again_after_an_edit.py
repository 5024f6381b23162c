"""Loading a system again by its module path after its file was edited takes the edit (review:
File > Load System... again in the same window kept the code first loaded: a projection's
version stayed 1 after the file said 7)."""

from __future__ import annotations

import os
import sys
import textwrap

from explorer.system.discovery import load_system

MODULE = textwrap.dedent("""
    from explorer.domain import DomainModel
    from explorer.system import System

    VERSION = {version}
    SYSTEM = System(name="edited{version}", domain=DomainModel("edited", [], []))
""")


def test_the_edited_module_is_loaded_again(tmp_path, monkeypatch):
    source = tmp_path / "edited_system.py"
    source.write_text(MODULE.format(version=1))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "edited_system", raising=False)
    try:
        assert load_system("edited_system:SYSTEM").name == "edited1"
        assert load_system("edited_system:SYSTEM").name == "edited1"  # unchanged: as it was
        source.write_text(MODULE.format(version=7))
        later = source.stat().st_mtime + 2  # (as an edit seconds later: Python's cache is by
        os.utime(source, (later, later))   # the second and the size)
        assert load_system("edited_system:SYSTEM").name == "edited7"
    finally:
        sys.modules.pop("edited_system", None)
