"""The subcommands' help says where the files they make from a store go (review: only the README
said it), and keeps paths and options whole when it wraps."""

from __future__ import annotations

import pytest

from explorer.cli.main import main
from explorer.projections.database import cache_folder


def help_of(subcommand: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([subcommand, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("subcommand", ["run", "project", "projection", "sagas", "diff", "when"])
def test_the_read_models_subcommands_say_where_they_are_kept(subcommand, capsys):
    shown = help_of(subcommand, capsys)
    assert "STORE.readmodels" in shown and "NAME_readmodels" in shown
    assert any(line.strip().startswith(str(cache_folder())) or f" {cache_folder()}" in line
               for line in shown.splitlines()), shown  # the folder, on one line


def test_events_help_says_where_the_search_index_is_kept(capsys):
    shown = help_of("events", capsys)
    assert "STORE.fulltext" in shown
    assert str(cache_folder()) in " ".join(line.strip() for line in shown.splitlines())
    assert str(cache_folder()) in shown  # not cut at a hyphen


def test_options_are_not_cut_at_their_hyphens(capsys):
    lines = help_of("state", capsys).splitlines()
    assert not any(line.rstrip().endswith("--at-") for line in lines)
