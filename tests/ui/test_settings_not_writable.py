"""Settings that cannot be read or saved (their folder another user's, as after a run with sudo)
never stop the window: it starts and opens stores with the settings read as not set, and says
once, in words, why nothing is kept. (Tests run as root, whom permissions do not stop: the
settings folder is put under a file, which no one can make a folder in.)"""

from __future__ import annotations

import pytest

from explorer.ui import settings
from tests.ui.conftest import WAIT_MS


@pytest.fixture
def unusable_settings(tmp_path, settings_folder, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the settings folder would be")
    settings.use_settings_folder(blocker)
    monkeypatch.setattr(settings, "_problem_told", False, raising=False)  # (told once a run)
    yield blocker
    settings.use_settings_folder(settings_folder)
    monkeypatch.setattr(settings, "_problem_handler", None, raising=False)


def test_reading_gives_nothing_and_saving_is_said_once(unusable_settings):
    told: list[str] = []
    settings.report_problems_to(told.append)
    assert settings.recent_stores() == [] and settings.console_history() == []
    assert settings.window_state("geometry") is None and not settings.welcome_seen()
    settings.remember_store("/tmp/shop.evstore")
    settings.save_console_history([])
    assert len(told) == 1
    assert "settings cannot be saved" in told[0] and str(unusable_settings) in told[0]
    assert "chown" in told[0]


def test_the_window_starts_and_opens_a_store(qtbot, seeded, unusable_settings):
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.add_widget(window)
    window.show()
    with qtbot.wait_signal(window.store_opened, timeout=WAIT_MS):
        window.open_store(seeded)
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=WAIT_MS)
    assert window.error_box.windowTitle() == "Settings are not saved"
    window.close()
