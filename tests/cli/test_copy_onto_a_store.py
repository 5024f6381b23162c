"""`copy` into a path where a file is already is refused as a copy, not a branch: it said "Cannot
branch shop.evstore into ...", the message of a what-if branch, for `copy`, also when the target
was the store itself (given twice, or by a link to it), which it now says."""

from __future__ import annotations

from tests.cli.running import run, seeded_shop


def test_copy_onto_a_file_or_the_store_itself_says_what_is_there(tmp_path, capsys):
    shop = seeded_shop(tmp_path, orders=2, seed=1)
    before = shop.read_bytes()
    link = tmp_path / "link.evstore"
    link.symlink_to(shop)
    other = tmp_path / "other.evstore"
    other.write_bytes(b"not mine")
    for target, what in ((shop, "this store's own file"), (link, "this store's own file"),
                         (other, "a file")):
        code, _, err = run(capsys, "copy", shop, target)
        assert code == 1
        assert err == (f"error: Cannot copy shop.evstore into {target}: there is {what} there, "
                       "and nothing there is replaced. Choose a new path.\n")
    assert shop.read_bytes() == before and other.read_bytes() == b"not mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.evstore", "other.evstore",
                                                           "shop.evstore"]
