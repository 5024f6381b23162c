"""The window on a store on a server: File > Open Database... takes its URL, the events list
and live updates work as on a file, and the recent stores keep the URL without its password."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QInputDialog

from explorer.demo.seed import seed_store
from explorer.projections.database import ReadModelsMissingError, open_read_models
from explorer.store import NewEvent
from explorer.system.discovery import load_system
from explorer.system.workspace import open_store
from explorer.ui import settings

WAIT_MS = 15_000


@pytest.fixture(autouse=True)
def settings_folder(tmp_path):
    settings.use_settings_folder(tmp_path / "settings")
    return tmp_path / "settings"


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread(qapp):
    from explorer.ui.gui_collector import GuiThreadCollector

    collector = GuiThreadCollector()
    yield
    collector.stop()
    collector.deleteLater()


@pytest.fixture
def password_url(postgres_server, admin, schema_name):
    """A seeded shop on the server, and its URL with the password of a role that needs one."""
    with open_store(postgres_server.url(schema=schema_name), system=load_system("shop"),
                    create=True) as store:
        seed_store(store, orders=20, seed=4)
    user, password = postgres_server.password_user, "w1ndow-Pa55word"
    admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
    admin.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO {user}")
    admin.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema_name} TO {user}")
    # its read models' schema, made for it (it may not make schemas)
    admin.execute(f"CREATE SCHEMA {schema_name}_readmodels AUTHORIZATION {user}")
    yield postgres_server.url(user=user, password=password, schema=schema_name), password
    admin.execute(f"DROP OWNED BY {user}")
    admin.execute(f"DROP ROLE {user}")


def test_open_database_shows_a_server_store_live_and_keeps_no_password(
        qtbot, qtmodeltester, password_url, postgres_server, schema_name, settings_folder):
    from explorer.ui.main_window import MainWindow

    url, password = password_url
    shown = postgres_server.url(user=postgres_server.password_user, schema=schema_name)
    window = MainWindow()
    qtbot.add_widget(window)
    window.show()
    window.open_database_action.trigger()
    dialog = window.findChild(QInputDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue(url)
    errors = []
    window.show_error = lambda *args: errors.append(args)  # what a user would have been told
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        dialog.accept()
    assert not errors
    assert window.summary.location == shown
    count = window.event_model.rowCount()
    assert count == window.summary.last_position > 20
    qtmodeltester.check(window.event_model)
    # Another session appends. The window's watcher starts on a thread of its own once the
    # store is shown: an append before it looks is seen with the next one, so append until one
    # is seen live (at most a few).
    appended = 0
    with open_store(url, system=load_system("shop")) as other:
        while appended < 5:
            with qtbot.wait_signal(window.browser.live_applied, timeout=3000,
                                   raising=False) as seen:
                other.append("prod_101", "Inventory", [NewEvent(
                    "InventoryStockReceived", {"product_id": "prod_101", "quantity": 5})])
                appended += 1
            if seen.signal_triggered:
                break
    assert seen.signal_triggered
    qtbot.waitUntil(lambda: window.event_model.rowCount() == count + appended, timeout=WAIT_MS)
    # The window's runner process connects by the password-free location too: its read models
    # get built (the password reached it in its environment, not on its command line).
    # They live on the server, beside the store's events.
    def built() -> bool:
        try:
            models = open_read_models(shown, False, read_only=True)
        except ReadModelsMissingError:
            return False
        with models:
            row = models.db.execute("SELECT min(checkpoint) FROM projection_state "
                                    "WHERE kind = 'projection'").fetchone()
        return (row[0] or 0) >= count + appended
    qtbot.waitUntil(built, timeout=WAIT_MS * 2)
    assert password not in " ".join(window.runner_host.runner.process.arguments())
    assert settings.recent_stores()[0] == shown
    assert password not in window.windowTitle() + window.statusBar().currentMessage()
    window.close()
    written = [path for path in settings_folder.rglob("*") if path.is_file()]
    assert written and not [p for p in written if password.encode() in p.read_bytes()]


def test_a_password_the_server_wants_is_asked_for_retried_and_never_kept(
        qtbot, password_url, postgres_server, schema_name, settings_folder, monkeypatch):
    from explorer.store import postgres_url
    from explorer.ui.main_window import MainWindow
    from explorer.ui.window.password_dialog import PasswordDialog

    url, password = password_url
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    monkeypatch.setattr(postgres_url, "_passwords", {})  # none remembered from the fixture
    bare = postgres_server.url(user=postgres_server.password_user, schema=schema_name)
    window = MainWindow()
    qtbot.add_widget(window)
    window.show()
    errors = []
    window.show_error = lambda *args: errors.append(args)

    def asked() -> PasswordDialog:
        qtbot.waitUntil(lambda: window.opening.password_dialog is not None
                        and window.opening.password_dialog.isVisible(), timeout=WAIT_MS)
        dialog = window.opening.password_dialog
        window.opening.password_dialog = None
        return dialog

    window.open_database_action.trigger()
    window.findChild(QInputDialog).setTextValue(bare)
    window.findChild(QInputDialog).accept()
    dialog = asked()
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password
    assert not dialog.refused_label.isVisible()  # asked, not refused: nothing was given
    qtbot.keyClicks(dialog.password_edit, "not-the-password")
    dialog.accept()
    again = asked()  # refused: asked again, saying what the server said
    assert "password authentication failed" in again.refused_label.text()
    assert again.refused_label.isVisible()
    assert postgres_url.remembered_password(bare) is None  # the wrong one forgotten
    qtbot.keyClicks(again.password_edit, password)
    with qtbot.wait_signals([window.store_opened, window.browser.rows_ready], timeout=WAIT_MS):
        again.accept()
    assert not errors
    assert window.summary.location == bare and window.event_model.rowCount() > 20
    assert settings.recent_stores()[0] == bare
    assert password not in window.windowTitle() + window.statusBar().currentMessage()
    window.close()
    written = [path for path in settings_folder.rglob("*") if path.is_file()]
    assert written and not [p for p in written if password.encode() in p.read_bytes()]


def test_a_server_url_from_the_recent_list_asks_for_its_password(
        qtbot, password_url, postgres_server, schema_name, monkeypatch):
    from explorer.store import postgres_url
    from explorer.ui.main_window import MainWindow

    url, password = password_url
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    monkeypatch.setattr(postgres_url, "_passwords", {})
    bare = postgres_server.url(user=postgres_server.password_user, schema=schema_name)
    settings.remember_store(bare)
    window = MainWindow()
    qtbot.add_widget(window)
    window.show()
    window.fill_recent_menu(settings.recent_stores())
    chosen = [action for action in window.recent_menu.actions() if bare in action.text()
              or action.data() == bare]
    assert chosen
    chosen[0].trigger()
    qtbot.waitUntil(lambda: window.opening.password_dialog is not None, timeout=WAIT_MS)
    dialog = window.opening.password_dialog
    qtbot.keyClicks(dialog.password_edit, password)
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        dialog.accept()
    assert window.summary.location == bare
    window.close()
