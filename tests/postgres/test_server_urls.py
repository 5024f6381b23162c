"""A store's URL the store cannot use (an unknown or repeated option, a schema name it does not
take, a password with unencoded special characters) is refused before anything is asked of the
server, in one line, by the command line and the window alike; nothing is made on the server."""

from __future__ import annotations

import pytest

from explorer.store import EventStore
from tests.postgres.refusals import catalog, refused_in_one_line


@pytest.mark.parametrize(("query", "expected", "unsaid"), [
    ("?shema={schema}", "Unknown option 'shema' (did you mean ?schema=?)", "ProgrammingError"),
    ("?schema={schema}&sslmod=disable", "(did you mean ?sslmode=?)", "ProgrammingError"),
    ("?schema={schema}&schema=other", "gives schema twice (?schema={schema} and ?schema=other): "
                                      "give it once", "('"),
    ("?schema=Shop", "in lower case", "Traceback"),
    ("?schema=", "gives ?schema= without a value: give one (?schema=NAME), or leave it out "
                 "(the schema is then event_explorer)", "Traceback"),  # (was made there)
    ("?schema={schema}&sslmode=", "gives ?sslmode= without a value", "Traceback"),
])
def test_a_url_with_an_option_the_store_cannot_use_is_refused_in_one_line(
        capsys, postgres_server, admin, schema_name, query, expected, unsaid):
    url = postgres_server.url() + query.format(schema=schema_name)
    before = catalog(admin, schema_name, "event_explorer", "shop", "Shop")
    said = refused_in_one_line(capsys, "create", url, "--system", "shop")
    assert expected.format(schema=schema_name) in said and unsaid not in said
    assert catalog(admin, schema_name, "event_explorer", "shop", "Shop") == before


def test_a_mixed_case_schema_is_refused_saying_which_names_are_taken(capsys, postgres_server):
    said = refused_in_one_line(capsys, "summary", postgres_server.url(schema="Shop"))
    assert "'Shop' cannot be a store's schema" in said
    assert "letters a-z, digits and _" in said and "?schema=shop." in said


def test_a_password_with_unencoded_special_characters_is_refused_naming_the_fix(
        capsys, postgres_server):
    url = f"postgresql://odd:p@ss:w/rd%@127.0.0.1:{postgres_server.port}/postgres"
    said = refused_in_one_line(capsys, "summary", url)
    assert "could not be read" in said and "percent-encoded (@ as %40" in said
    assert "invalid literal" not in said and "ss:w" not in said and "rd%" not in said


@pytest.mark.parametrize("credentials", ["user:p@ss:secretword", "user:p@ss", "us@er:secretword"])
def test_no_part_of_a_password_with_an_unencoded_at_is_shown(capsys, postgres_server,
                                                             credentials):
    # ('user:p@ss:secretword@host' took 'secretword@host' for the port and said it; and
    # 'user:p@ss@host' was read as the host 'ss@host', shown with every message)
    url = f"postgresql://{credentials}@127.0.0.1:{postgres_server.port}/postgres"
    said = refused_in_one_line(capsys, "summary", url)
    assert "could not be read" in said and "percent-encoded (@ as %40" in said
    for part in ("secretword", "ss@", "p@ss", "er:"):
        assert part not in said
    from explorer.store.postgres_url import shown
    assert "secretword" not in shown(url) and "ss@" not in shown(url)


def test_a_password_given_as_an_option_is_never_shown(capsys, postgres_server, schema_name):
    url = postgres_server.url(schema=schema_name) + "&password=s3cret&shema=x"
    said = refused_in_one_line(capsys, "summary", url)
    assert "'shema'" in said and "s3cret" not in said


def test_the_window_says_a_bad_option_as_the_command_line_does(
        qtbot, tmp_path, postgres_server, schema_name):
    from explorer.ui import settings
    from explorer.ui.main_window import MainWindow

    settings.use_settings_folder(tmp_path / "settings")
    window = MainWindow()
    qtbot.add_widget(window)
    errors: list[tuple[str, str]] = []
    window.show_error = lambda title, message: errors.append((title, message))
    window.open_store(postgres_server.url() + f"?shema={schema_name}")
    qtbot.wait_until(lambda: bool(errors), timeout=15_000)
    (_title, message), = errors
    assert "Unknown option 'shema' (did you mean ?schema=?)" in message
    assert "\n" not in message and "Traceback" not in message


def test_a_urls_own_server_settings_are_kept_beside_the_stores(postgres_server, schema_name):
    url = postgres_server.url(schema=schema_name) + "&options=-c%20work_mem%3D2MB"
    with EventStore.open(url) as store:
        db = store._db
        assert db.execute("SHOW work_mem").fetchone()[0] == "2MB"
        assert db.execute("SHOW search_path").fetchone()[0] == schema_name


def test_the_windows_open_failure_never_shows_a_urls_password(qtbot, tmp_path, postgres_server):
    from explorer.ui import settings
    from explorer.ui.main_window import MainWindow

    settings.use_settings_folder(tmp_path / "settings")
    window = MainWindow()
    qtbot.add_widget(window)
    errors: list[tuple[str, str]] = []
    window.show_error = lambda title, message: errors.append((title, message))
    window.open_store(f"postgresql://odd:s3cret@127.0.0.1:{postgres_server.port}")  # (no db)
    qtbot.wait_until(lambda: bool(errors), timeout=15_000)
    (title, message), = errors
    assert "names no database" in message
    assert "s3cret" not in title + message and "odd@127.0.0.1" in title
