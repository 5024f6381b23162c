"""Garbage is collected on the GUI thread alone while the window runs, by the usual thresholds."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtWidgets import QApplication

from explorer.ui.gui_collector import GuiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_worker_thread_never_collects_and_the_gui_thread_does(qtbot):
    collector = GuiThreadCollector()  # the fixture's is running too: both leave it off
    try:
        assert not gc.isenabled()
        collected_on = []
        gc.callbacks.append(lambda phase, info: collected_on.append(threading.get_ident())
                            if phase == "start" else None)
        try:
            def allocate() -> None:  # far past every threshold: would collect, were it on
                for _ in range(50_000):
                    Cycle()

            worker = threading.Thread(target=allocate)
            worker.start()
            worker.join()
            assert collected_on == []
            qtbot.waitUntil(lambda: threading.main_thread().ident in collected_on, timeout=5000)
            assert set(collected_on) == {threading.main_thread().ident}
        finally:
            gc.callbacks.pop()
    finally:
        collector.stop()
    assert not gc.isenabled()  # the fixture's collector still runs


def test_stopping_collects_and_gives_collection_back(qtbot):
    gc.enable()
    collector = GuiThreadCollector()
    Cycle()
    collector.stop()
    assert gc.isenabled() and gc.get_count()[0] < 10
    gc.disable()  # as the fixture's collector left it


def test_the_app_collects_on_its_gui_thread(qtbot):
    from PySide6.QtWidgets import QApplication

    from explorer.ui.app import create_application

    app = create_application()
    installed = app.findChildren(GuiThreadCollector)
    assert len(installed) == 1
    assert create_application().findChildren(GuiThreadCollector) == installed
    for collector in installed:  # leave the test session as it was
        collector.stop()
        collector.setParent(None)
        collector.deleteLater()
    assert QApplication.instance() is app


def test_a_full_collection_waits_for_a_quarter_more_long_lived_objects(qtbot):
    """As the interpreter does: with many objects kept, collecting young garbage again and again
    does not walk them all each time (that stalled the window 100-500 ms a second)."""
    kept = [Cycle() for _ in range(200_000)]
    collector = GuiThreadCollector()
    full = []
    gc.callbacks.append(lambda phase, info: full.append(1)
                        if phase == "start" and info["generation"] == 2 else None)
    try:
        for _ in range(600):  # past the young threshold each time, garbage only
            for _ in range(800):
                Cycle()
            collector.collect_due()
    finally:
        gc.callbacks.pop()
        collector.stop()
        gc.disable()  # as the fixture's collector left it
    assert len(full) <= 1  # the first, with nothing counted as kept yet
    assert len(kept) == 200_000


def test_once_a_store_is_shown_what_the_process_holds_is_frozen_and_newer_garbage_collected(
        window, qtbot, seeded):
    from explorer.ui.app import settle_garbage_on_open

    collector = GuiThreadCollector()
    try:
        app = QApplication.instance()
        collector.setParent(app)  # the one the app finds (the fixture's is not the app's child)
        settle_garbage_on_open(app, window)
        assert gc.get_freeze_count() == 0
        with qtbot.wait_signal(window.store_opened, timeout=10_000):
            window.open_store(seeded)
        assert gc.get_freeze_count() > 10_000  # the modules and the window, at least
        newer = Cycle()
        alive = weakref.ref(newer)
        del newer
        collector.collect(2)  # a full collection: it walks only what came after the freeze
        assert alive() is None
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0  # stopping gives every object back to the collector



def test_once_the_timeline_plot_is_in_what_it_brought_is_frozen_too(qtbot, seeded):
    """The plot (pyqtgraph) loads after the first rows, so after the store's freeze: what it
    brought is frozen once it is in, or full collections walk it (stalls in a jump)."""
    from explorer.ui.app import settle_garbage_on_open
    from explorer.ui.main_window import MainWindow

    collector = GuiThreadCollector()
    try:
        app = QApplication.instance()
        collector.setParent(app)
        window = MainWindow()
        qtbot.add_widget(window)
        settle_garbage_on_open(app, window)
        window.resize(1300, 850)
        window.show()
        with qtbot.wait_signal(window.store_opened, timeout=10_000):
            window.open_store(seeded)
        frozen_with_the_store = gc.get_freeze_count()
        assert window.timeline.plot is None  # (it comes once the first rows are painted)
        with qtbot.wait_signal(window.timeline.plot_ready, timeout=10_000):
            pass
        assert gc.get_freeze_count() > frozen_with_the_store
        window.close()
    finally:
        collector.stop()
