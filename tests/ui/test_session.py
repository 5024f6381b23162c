"""The open-store session: what it announces, in which order, to the panels that subscribe."""

from __future__ import annotations

import threading

from explorer.store import NewEvent
from explorer.ui.session import NOTHING_LOADED, LoadedSystem, StoreSession
from explorer.ui.worker import ChangeWatcher, StoreWorker
from tests.ui.conftest import SHOP, WAIT_MS, open_shop


def test_the_window_announces_a_store_opened_with_its_system_first(window, qtbot, seeded):
    session = window.session
    news: list[str] = []
    session.system_changed.connect(lambda loaded: news.append(f"system {loaded.spec}"))
    session.opened.connect(lambda summary, loaded: news.append(f"opened {loaded.spec}"))
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(seeded, system=LoadedSystem(SHOP, "shop"))
    assert news == ["system shop", "opened shop"]
    assert session.summary.location == str(seeded) and session.loaded.spec == "shop"
    assert window.summary is session.summary and window.loaded is session.loaded


def test_an_append_by_another_process_is_announced_as_changed(window, qtbot, seeded):
    before = window.session.summary.last_position
    with qtbot.wait_signal(window.session.changed, timeout=WAIT_MS) as changed, \
            open_shop(seeded) as store:
        store.append("lamp-1", "Lamp", [NewEvent("Switched", {"on": True})])
    assert changed.args == [before + 1]


def test_refresh_announces_the_summary_read_again(window, qtbot, seeded):
    with open_shop(seeded) as store:
        store.append("lamp-2", "Lamp", [NewEvent("Switched", {"on": True})])
        last = store.last_position()
    with qtbot.wait_signal(window.session.refreshed, timeout=WAIT_MS) as refreshed:
        window.refresh()
    assert refreshed.args[0].last_position == last == window.summary.last_position


def test_a_system_loaded_with_no_store_open_is_announced_alone(qtbot):
    worker = StoreWorker()
    session = StoreSession(worker)
    opened: list[object] = []
    session.opened.connect(lambda *args: opened.append(args))
    with qtbot.wait_signal(session.system_changed, timeout=WAIT_MS) as shown:
        session.show_system(NOTHING_LOADED)
    assert shown.args == [NOTHING_LOADED] and not opened and session.summary is None
    with qtbot.wait_signal(session.closed, timeout=WAIT_MS):
        session.close()  # nothing open: nothing to stop, and it says so all the same
    worker.shutdown()


def test_an_append_before_the_watcher_starts_is_announced_without_another(qtbot, seeded):
    """The store is listed, then watched from a thread of its own: what was appended in between
    is announced at once (before, only with the next append)."""
    with open_shop(seeded) as store:
        listed_up_to = store.last_position()
        store.append("lamp-3", "Lamp", [NewEvent("Switched", {"on": True})])
    watcher = ChangeWatcher(str(seeded), since=listed_up_to)
    try:
        with qtbot.wait_signal(watcher.changed, timeout=WAIT_MS) as changed:
            watcher.start()
        assert changed.args == [listed_up_to + 1]
    finally:
        watcher.stop()


def test_a_worker_shut_down_twice_does_not_wait_for_its_stopped_thread(qtbot, monkeypatch):
    """A window closed twice (a close, then the test's or the application's own) shuts its
    worker down twice: the second asked the stopped thread to close the store and waited 10 s
    for an answer that never came."""
    from explorer.ui import worker as worker_module

    worker = StoreWorker()
    worker.shutdown()
    waits: list[float] = []

    class Event(threading.Event):
        def wait(self, timeout=None):
            waits.append(timeout)
            return super().wait(0)
    monkeypatch.setattr(worker_module.threading, "Event", Event)
    worker.shutdown()
    assert waits == []
