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


def test_a_link_to_no_file_is_said_to_be_one(tmp_path, capsys):
    """A store named by a link whose file is gone (moved, on a drive not mounted) was said to be
    missing at the link's path alone, which is there in any file manager."""
    link = tmp_path / "shop.evstore"
    link.symlink_to(tmp_path / "moved" / "shop.evstore")
    code, _, err = run(capsys, "summary", link)
    assert code == 1 and err.startswith(
        f"error: No store at {link}: it is a link to {tmp_path}/moved/shop.evstore, where there "
        "is no file. Check the path.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.evstore"]
