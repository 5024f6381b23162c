"""The command line on a store on a server: the same subcommands, given a postgresql:// URL,
answer as they do for the same history in a store file."""

from __future__ import annotations

import json

from tests.cli.running import run


def test_subcommands_on_a_server_store_answer_as_on_a_store_file(capsys, store_url, tmp_path):
    path = tmp_path / "shop.evstore"
    for target in (store_url, path):
        code, out, err = run(capsys, "seed", target, "--orders", 15, "--seed", 3, "--json")
        assert code == 0, err
        assert json.loads(out)["store"] == str(target)
    for arguments in (["summary", "--json"], ["streams", "--limit", "5"],
                      ["events", "--limit", "8", "--json"], ["state", "order_003"],
                      ["sagas", "--limit", "3"], ["projection", "order_summary", "--limit", "4"],
                      ["when", "order_summary", 'status = "shipped"', "--all"]):
        on_server, on_file = (run(capsys, arguments[0], target, *arguments[1:])
                              for target in (store_url, path))
        assert on_server[0] == on_file[0] == 0, (arguments, on_server[2], on_file[2])
        assert on_server[1].replace(str(store_url), "STORE") == \
            on_file[1].replace(str(path), "STORE"), arguments


def test_a_server_store_checks_clean_and_refuses_a_second_seed(capsys, store_url):
    assert run(capsys, "seed", store_url, "--orders", 5)[0] == 0
    code, out, _ = run(capsys, "check", store_url)
    assert code == 0 and "No problems found" in out
    code, _, err = run(capsys, "seed", store_url, "--orders", 5)
    assert code != 0 and "already holds" in err
