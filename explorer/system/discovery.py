"""Finding systems: installed ones (entry points), module paths, and the one a store names.

Loading a system runs its code, so it happens only by the user's choice: an option naming it
(`--system NAME` or `--system package.module:ATTRIBUTE`, which may also name an `eventsourcing`
library Application subclass: explorer.system.application), a system installed as an entry point in
the group `event_explorer.systems` (the demo shop registers itself there as `shop`), or a
confirmation when a store names a system by module path. A store remembers which system wrote
it (`system` in store_meta; `system_module` too when it was loaded by module path).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

from explorer.common.faults import raised_in
from explorer.domain.model import DefinitionError
from explorer.system import NO_SYSTEM, System

ENTRY_POINT_GROUP = "event_explorer.systems"
NONE = "none"
META_NAME, META_MODULE = "system", "system_module"


class SystemLoadError(Exception):
    """A system could not be found or loaded; the message says which and what to do."""


@dataclass(frozen=True)
class InstalledSystem:
    """A system installed as an entry point: its name, where it comes from, and which
    distribution (package) provides it."""

    name: str
    value: str  # "package.module:ATTRIBUTE"
    distribution: str  # "name version", or "" when unknown

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "module": self.value, "distribution": self.distribution}


def installed_systems() -> list[InstalledSystem]:
    """Every system installed as an entry point, by name."""
    found: dict[str, InstalledSystem] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, InstalledSystem(entry.name, entry.value, _distribution(entry)))
    return [found[name] for name in sorted(found)]


def _distribution(entry: EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    return f"{dist.name} {dist.version}" if dist is not None else ""


def is_module_path(spec: str) -> bool:
    return ":" in spec


def load_system(spec: str) -> System:
    """The system a user named: `none`, an installed system's name, or `package.module:ATTR`."""
    spec = spec.strip()
    if spec == NONE:
        return NO_SYSTEM
    file = _file_named(spec)
    if file is not None:
        folder, name = os.path.split(file[0])
        attribute = file[1] or "SYSTEM"
        raise SystemLoadError(
            f"{spec!r} is a file: a system is named by its module, with the module's folder on "
            f"Python's path. Run with PYTHONPATH={folder or '.'} and name it "
            f"{os.path.splitext(name)[0]}:{attribute} ({attribute} being the name of its System "
            "object).")
    if is_module_path(spec):
        return _from_module_path(spec)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == spec:
            return _checked(_load(entry.load, spec), spec)
    names = ", ".join(s.name for s in installed_systems()) or "none installed"
    raise SystemLoadError(
        f"No system named {spec!r} is installed (installed: {names}). Give an installed name, "
        "a module path such as mypackage.system:SYSTEM, or 'none' to explore without one.")


def _file_named(spec: str) -> tuple[str, str] | None:
    """The path and attribute of a spec naming a Python file (`folder/plugin.py[:ATTRIBUTE]`),
    which no import finds; None for anything else."""
    path, colon, attribute = spec.rpartition(":")
    if not colon or "/" in attribute or os.sep in attribute or attribute.endswith(".py"):
        path, attribute = spec, ""
    return (path, attribute) if path.endswith(".py") or "/" in path or os.sep in path else None


def _from_module_path(spec: str) -> System:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise SystemLoadError(f"{spec!r} is not a module path: write package.module:ATTRIBUTE, "
                              "e.g. mypackage.system:SYSTEM.")

    def load() -> object:
        found: object = _imported(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
        return found

    return _checked(_load(load, spec), spec)


_LOADED_SOURCES: dict[str, int] = {}
"""The modification time of each module loaded by path here, as it was loaded."""


def _imported(module_name: str) -> ModuleType:
    """The module, imported; imported again if its file changed since it was loaded here (File >
    Load System... after an edit, in a window that loaded it before: the edit is taken, not the
    code first loaded). Only that module is: modules it imports stay as they were loaded."""
    module = sys.modules.get(module_name)
    if module is not None and _LOADED_SOURCES.get(module_name) not in (None, _changed(module)):
        module = importlib.reload(module)
    else:
        module = importlib.import_module(module_name)
    _LOADED_SOURCES[module_name] = _changed(module)
    return module


def loaded_unchanged(module_name: str) -> bool:
    """Whether importing `module_name` here would run none of its code: it is imported, and
    (if it was loaded by module path) its file has not changed since."""
    module = sys.modules.get(module_name)
    return module is not None and _LOADED_SOURCES.get(module_name) in (None, _changed(module))


def edited_since(cls: type, since_ns: int) -> str | None:
    """The source file of the module defining `cls` if it was changed after `since_ns` (a
    time.time_ns()): a process that imported it before runs the code as it was. None if not
    changed, or if there is no such file."""
    module = sys.modules.get(cls.__module__)
    changed = _changed(module) if module is not None else 0
    return module.__file__ if module is not None and changed > since_ns else None


def _changed(module: ModuleType) -> int:
    """When a module's source file was last changed (0 if it has none, or it is gone)."""
    try:
        return os.stat(module.__file__ or "").st_mtime_ns
    except (OSError, TypeError):
        return 0


def _load(load: Callable[[], object], spec: str, doing: str = "its module",
          when: str = "while being imported") -> object:
    """What `load` returns (the system's module imported, or its factory called), its failures
    said as SystemLoadError in one line. What it prints goes to stderr: every system is loaded
    here, so none can corrupt the command line's output (--json, an export to stdout)."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return load()
    except ModuleNotFoundError as error:
        raise SystemLoadError(f"Cannot load the system {spec!r}: no module named "
                              f"{error.name!r}. Install it, or check the name.") from None
    except AttributeError as error:
        if _names_a_missing_attribute(error, spec):
            raise SystemLoadError(f"Cannot load the system {spec!r}: {error}."
                                  f"{_what_to_name(spec)}") from None
        raise SystemLoadError(f"Loading the system {spec!r} failed: {doing} raised "  # its code
                              f"AttributeError: {error} {when} (in {raised_in(error)}).") \
            from None
    except DefinitionError as error:
        raise SystemLoadError(f"The system {spec!r} cannot be loaded: {error}") from None
    except SystemExit as error:  # not Ctrl+C (KeyboardInterrupt), which still stops
        code = "" if error.code is None else repr(error.code)
        raise SystemLoadError(f"Loading the system {spec!r} failed: {doing} called "
                              f"sys.exit({code}) {when}.") from None
    except SyntaxError as error:  # its text, not its running (raised in importlib's frames)
        raise SystemLoadError(f"Loading the system {spec!r} failed: {doing} does not parse: "
                              f"{type(error).__name__}: {error.msg} ({error.filename} line "
                              f"{error.lineno}).") from None
    except Exception as error:  # the system's own code failed: say so, do not crash
        raise SystemLoadError(f"Loading the system {spec!r} failed: {type(error).__name__}: "
                              f"{error} (in {raised_in(error)})") from None


def _names_a_missing_attribute(error: AttributeError, spec: str) -> bool:
    """Whether the attribute a module path names is what its module (or, for `Class.attr`,
    what it names there) lacks, rather than the module's own code failing on another attribute
    while it was imported (then the module is not imported at all)."""
    module, _, attribute = spec.partition(":")
    found: object = sys.modules.get(module)
    for part in attribute.split("."):
        if found is None:
            return False
        if part == error.name and found is error.obj:
            return True
        found = getattr(found, part, None)  # (the walk `load` took: nothing new is run)
    return False


def _checked(found: object, spec: str) -> System:
    library = sys.modules.get("eventsourcing.application")  # imported if `found` is one
    if library is not None and isinstance(found, type) and \
            issubclass(found, library.Application):
        from explorer.system.application import application_system

        return application_system(found, spec)
    if isinstance(found, type):  # not a factory: an aggregate class would want a stream id
        raise SystemLoadError(f"{spec!r} is {_class_kind(found)} ({found.__name__}), not an "
                              f"explorer.system.System.{_what_to_name(spec)}")
    if callable(found) and not isinstance(found, System):
        found = _load(found, spec, "its factory", "when called")  # e.g. `make_system`
    if not isinstance(found, System):
        raise SystemLoadError(f"{spec!r} is a {type(found).__name__}, not an "
                              f"explorer.system.System.{_what_to_name(spec)}")
    return found


def _class_kind(cls: type) -> str:
    """What a class named instead of a system is: an aggregate class (called as a factory,
    it would fail asking for a stream id), a saga's, a command's, a projection's."""
    from explorer.domain import Aggregate, Command
    from explorer.projections import Projection
    from explorer.sagas import ProcessManager

    kinds = ((ProcessManager, "a saga class"), (Aggregate, "an aggregate class"),
             (Command, "a command class"), (Projection, "a projection class"))
    return next((kind for base, kind in kinds if issubclass(cls, base)), "a class")


def _what_to_name(spec: str) -> str:
    """The System objects the named module holds, to name one of them instead."""
    module = sys.modules.get(spec.partition(":")[0]) if is_module_path(spec) else None
    held = [name for name, value in vars(module).items() if isinstance(value, System)] \
        if module is not None else []
    if held:
        return " Name one of its module's systems: " + ", ".join(
            f"{spec.partition(':')[0]}:{name}" for name in held) + "."
    return (" Name a System object (or a function returning one) as package.module:ATTRIBUTE, "
            "e.g. mypackage.system:SYSTEM.")


def system_of_store(meta: dict[str, str], event_types: Iterable[str], *,
                    confirm: Callable[[str], bool] | None = None,
                    load: Callable[[str], System] = load_system) -> System:
    """The system to explore a store with when the user named none.

    The one the store names, if it is installed (or, named by module path, if `confirm` says
    yes); for a store that names none (written before stores remembered it), the one installed
    system that knows every event type it holds; otherwise NO_SYSTEM. Each is loaded by `load`
    (the window's tries each in a child process first: explorer.system.probing).
    """
    named, module = meta.get(META_NAME), meta.get(META_MODULE)
    if named == NONE:
        return NO_SYSTEM
    if named:
        installed = next((system for system in installed_systems() if system.name == named),
                         None)
        if installed is not None and module and module != installed.value:
            # (a system of the user's, loaded by module path, named as an installed one is)
            if confirm is not None and confirm(module):
                return load(module)
            raise SystemLoadError(
                f"The store was written by the system {named!r} loaded from {module}, not by "
                f"the installed {named!r} ({installed.value}), which shares its name. Pass "
                f"--system {module} (File > Load System... in the window) to explore it with "
                f"its own code, or --system {named} for the installed one.")
        if installed is not None:
            return load(named)
        if module and confirm is not None and confirm(module):
            return load(module)
        where = f" ({module})" if module else ""
        raise SystemLoadError(
            f"The store was written by the system {named!r}{where}, which is not installed "
            f"here. Install it, or name it with --system package.module:ATTRIBUTE (File > Load "
            "System... in the window), or use --system none to explore the store without it.")
    stored = set(event_types)
    if not stored:
        return NO_SYSTEM
    fits = []
    for entry in installed_systems():
        try:
            system = load(entry.name)
        except SystemLoadError:
            continue
        registry = system.registry  # None for a generic system, which knows no types
        if registry is not None and stored <= {spec.name for spec in registry}:
            fits.append(system)
    return fits[0] if len(fits) == 1 else NO_SYSTEM


def remembered(system: System, spec: str | None) -> dict[str, str]:
    """The store_meta entries that remember which system writes a store."""
    entries = {META_NAME: system.name}
    if spec and is_module_path(spec):
        entries[META_MODULE] = spec
    return entries
