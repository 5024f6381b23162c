"""The example lending library (examples/library), installed as the system `library`: its rules,
every path of its lending saga run by the engine's saga manager, its upcaster, seeder and read
models. What the engine does with any system is tested for both systems beside this file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from explorer.commanding.scripts import load_script, play
from explorer.commanding.sending import send
from explorer.domain import CommandService, DomainError, Repository
from explorer.projections import ProjectionEngine, ReadModelDatabase, read_rows
from explorer.runtime.runner import Runner
from explorer.sagas import SagaManager
from explorer.sagas.steps import step_table
from explorer.store import EventStore, NewEvent
from explorer.system.discovery import installed_systems, load_system
from explorer.system.workspace import open_store

LIBRARY = load_system("library")
Lending = LIBRARY.saga_owning("Lending")


@pytest.fixture
def store(tmp_path):
    opened = EventStore.open(tmp_path / "library.evstore", create=True,
                             registry=LIBRARY.registry)
    yield opened
    opened.close()


@pytest.fixture
def desk(store):
    """The library's desk, with two books on the shelf and two members."""
    service = CommandService(store, LIBRARY.domain, issued_by="desk:test")
    for book, title in (("book_1", "The Glass Orchard"), ("book_2", "The Salt Atlas")):
        service.execute("Book", book, "acquire", {"title": title, "authors": ["Ada Lovelace"],
                                                  "isbn": "9780000000002",
                                                  "replacement_cost": 20.0})
    for member, name in (("member_1", "Grace Hopper"), ("member_2", "Alan Turing")):
        service.execute("Member", member, "join", {"name": name, "email": f"{member}@lib.org"})
    return service


def run_saga(service: CommandService) -> None:
    SagaManager(Lending, service).catch_up()


def request(service, loan="loan_1", member="member_1", book="book_1", days=14):
    result = service.execute("Member", member, "request_loan",
                             {"loan_id": loan, "book_id": book, "days": days})
    run_saga(service)
    return result


def load(service, stream_type, stream_id):
    return Repository(service.store, LIBRARY.domain).load(stream_type, stream_id).aggregate


def types(store, stream_id):
    return [event.event_type for event in store.read_stream(stream_id)]


def statuses_in(store, saga):
    return {name: step["status"] for name, step in step_table(store, saga).items()}


def statuses(service, saga_id):
    """Each step's status: what the saga recorded, or what its command's events say."""
    return statuses_in(service.store, load(service, "Lending", saga_id))


def test_the_library_is_installed_as_a_system_of_its_own():
    entry = next(entry for entry in installed_systems() if entry.name == "library")
    assert entry.value == "event_explorer_library:SYSTEM"
    assert entry.distribution.startswith("event-explorer-library ")
    assert LIBRARY.saga_stream_types == {"Lending"} and LIBRARY.seeder.size_name == "loans"
    assert {p.name for p in LIBRARY.projections()} == {
        "books_on_loan", "overdue_loans", "fines_per_member", "sagas"}
    assert LIBRARY.new_id("Member").startswith("member_")
    assert sorted(script.name for script in LIBRARY.scripts.iterdir()
                  if script.name.endswith(".yaml")) == ["borrow-and-return.yaml",
                                                        "overdue-fines.yaml"]


def test_a_loan_is_lent_reminded_and_closed_when_the_book_comes_back(desk, store):
    requested = request(desk)
    saga = load(desk, "Lending", "lending-loan_1")
    assert types(store, "book_1")[-1] == "BookLent" and saga.lent
    due_on = saga.due_on
    desk.execute("Book", "book_1", "check_loan", {"today": due_on})  # the nightly check
    run_saga(desk)
    reminder = store.read_stream("member_1")[-1]
    assert reminder.event_type == "ReminderSent"
    assert reminder.data | {"due_on": due_on, "title": "The Glass Orchard"} == reminder.data
    assert reminder.correlation_id == requested.correlation_id
    desk.execute("Book", "book_1", "return_book", {"loan_id": "loan_1"})
    run_saga(desk)
    saga = load(desk, "Lending", "lending-loan_1")
    assert saga.status == "completed"
    assert statuses(desk, saga.id) == {"lend book": "done", "send due reminder": "done",
                              "close loan": "done"}
    assert types(store, "member_1")[-1] == "LoanClosed"
    assert load(desk, "Member", "member_1").loans == {}
    assert load(desk, "Book", "book_1").status == "on_shelf"


def test_overdue_books_are_fined_and_the_third_unpaid_fine_suspends_the_member(desk, store):
    desk.execute("Book", "book_3", "acquire", {"title": "Iron Letters", "authors": ["K. T."],
                                               "isbn": "0306406152", "replacement_cost": 9.5})
    for number, book in enumerate(("book_1", "book_2", "book_3"), start=1):
        request(desk, loan=f"loan_{number}", book=book)
        desk.execute("Book", book, "check_loan", {"today": "2099-01-01"})
        run_saga(desk)
    member = load(desk, "Member", "member_1")
    assert member.status == "suspended" and member.outstanding == 7.5
    assert Counter(types(store, "member_1"))["FineCharged"] == 3
    assert statuses(desk, "lending-loan_3")["suspend member"] == "done"
    assert "suspend member" not in load(desk, "Lending", "lending-loan_2").steps
    with pytest.raises(DomainError, match="suspended since 3 unpaid fines"):
        desk.execute("Member", "member_1", "request_loan", {"loan_id": "loan_4",
                                                            "book_id": "book_2"})
    with pytest.raises(DomainError, match="at least one must be paid"):
        desk.execute("Member", "member_1", "reinstate", {})
    desk.execute("Member", "member_1", "pay_fine", {"loan_id": "loan_2", "kind": "overdue"})
    desk.execute("Member", "member_1", "reinstate", {"note": "paid"})
    assert load(desk, "Member", "member_1").status == "active"


def test_a_book_that_is_out_is_not_lent_and_the_request_is_withdrawn(desk, store):
    request(desk)
    request(desk, loan="loan_2", member="member_2")
    saga = load(desk, "Lending", "lending-loan_2")
    assert saga.status == "compensated"
    assert statuses(desk, saga.id) == {"lend book": "rejected", "withdraw request": "done"}
    assert "on loan to member_1" in saga.steps["lend book"]["reason"]
    assert types(store, "member_2")[-2:] == ["LoanRequested", "LoanWithdrawn"]
    assert load(desk, "Member", "member_2").loans == {}
    assert load(desk, "Book", "book_1").member_id == "member_1"  # untouched


def test_a_request_withdrawn_after_lending_takes_the_book_back(desk, store):
    request(desk)
    desk.execute("Member", "member_1", "withdraw_loan", {"loan_id": "loan_1",
                                                         "reason": "changed my mind"})
    run_saga(desk)
    saga = load(desk, "Lending", "lending-loan_1")
    assert saga.status == "compensated"
    assert statuses(desk, saga.id) == {"lend book": "done", "take book back": "done"}
    assert "withdrawn by desk:test: changed my mind" in saga.reason
    assert types(store, "book_1")[-2:] == ["BookLent", "BookReturned"]
    assert load(desk, "Book", "book_1").status == "on_shelf"


def test_a_refused_compensation_leaves_the_saga_failed_for_a_person(desk, store):
    request(desk)
    desk.execute("Member", "member_1", "withdraw_loan", {"loan_id": "loan_1", "reason": "oops"})
    desk.execute("Book", "book_1", "declare_lost", {"loan_id": "loan_1"})
    run_saga(desk)
    saga = load(desk, "Lending", "lending-loan_1")
    assert saga.status == "failed"
    assert saga.steps["take book back"]["status"] == "rejected"
    assert "it is lost" in saga.reason


def test_a_lost_book_costs_its_replacement_and_closes_the_loan(desk, store):
    request(desk)
    desk.execute("Book", "book_1", "declare_lost", {"loan_id": "loan_1", "note": "in the rain"})
    run_saga(desk)
    saga = load(desk, "Lending", "lending-loan_1")
    assert saga.status == "completed"
    assert statuses(desk, saga.id) == {"lend book": "done", "charge replacement fee": "done",
                              "close loan": "done"}
    fine = [e for e in store.read_stream("member_1") if e.event_type == "FineCharged"]
    assert [(f.data["kind"], f.data["amount"]) for f in fine] == [("lost", 20.0)]
    with pytest.raises(DomainError, match="it is lost"):
        desk.execute("Book", "book_1", "lend", {"loan_id": "loan_9", "member_id": "member_2",
                                                "due_on": "2030-01-01"})


def test_each_event_is_observed_once_and_each_step_runs_once(desk, store):
    request(desk)
    desk.execute("Book", "book_1", "return_book", {"loan_id": "loan_1"})
    run_saga(desk)
    before = store.last_position()
    store.save_checkpoint(Lending.name, 0)  # a runner that lost its checkpoint sees all again
    run_saga(desk)
    assert store.last_position() == before


def test_the_nightly_check_says_due_soon_then_overdue_once_each(desk, store):
    request(desk, days=7)
    due = load(desk, "Book", "book_1").due_on
    year, month, day = (int(part) for part in due.split("-"))
    check = {"today": f"{year}-{month:02d}-{day - 5 if day > 5 else day:02d}"}
    if day > 5:
        with pytest.raises(DomainError, match=f"it is due on {due}"):
            desk.execute("Book", "book_1", "check_loan", check)
    desk.execute("Book", "book_1", "check_loan", {"today": due})
    with pytest.raises(DomainError, match="Nothing to say"):
        desk.execute("Book", "book_1", "check_loan", {"today": due})
    desk.execute("Book", "book_1", "check_loan", {"today": "2099-01-01"})
    assert types(store, "book_1")[-2:] == ["BookDueSoon", "BookOverdue"]
    with pytest.raises(DomainError, match="not on loan"):
        desk.execute("Book", "book_2", "check_loan", {"today": due})


def test_a_member_borrows_five_books_at_most(desk):
    for number in range(1, 6):
        desk.execute("Member", "member_1", "request_loan", {"loan_id": f"loan_{number}",
                                                            "book_id": "book_1"})
    with pytest.raises(DomainError, match="already has 5 books on loan"):
        desk.execute("Member", "member_1", "request_loan", {"loan_id": "loan_6",
                                                            "book_id": "book_2"})
    with pytest.raises(DomainError, match="already has loan_1"):
        desk.execute("Member", "member_1", "request_loan", {"loan_id": "loan_1",
                                                            "book_id": "book_2"})


def test_the_old_catalogues_acquisitions_are_read_in_the_current_form(store):
    store.append("book_7", "Book", [NewEvent("BookAcquired", {
        "book_id": "book_7", "title": "Old", "author": "Ada Lovelace", "isbn": "0306406152",
        "replacement_cost": 5.0}, schema_version=1)], 0)
    event = store.read_stream("book_7")[0]
    assert event.schema_version == 2 and event.data["authors"] == ["Ada Lovelace"]
    assert "author" not in event.data and event.stored.data["author"] == "Ada Lovelace"
    book = Repository(store, LIBRARY.domain).load("Book", "book_7").aggregate
    assert book.authors == ["Ada Lovelace"] and book.status == "on_shelf"


# -- the seeder ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("library") / "seeded.evstore"
    with EventStore.open(path, create=True, registry=LIBRARY.registry) as store:
        report = LIBRARY.seeder.seed(store, size=150, seed=7, days=60, recent=False)
    return path, report


def everything(path):
    with EventStore.open(path, read_only=True, registry=LIBRARY.registry) as store:
        return [(e.event_id, e.stream_id, e.event_type, e.timestamp_us, e.data, e.metadata)
                for e in store.read_all()]


def test_the_same_seed_gives_the_same_library(seeded, tmp_path):
    path, report = seeded
    for seed, same in ((7, True), (8, False)):
        again = tmp_path / f"again{seed}.evstore"
        with EventStore.open(again, create=True, registry=LIBRARY.registry) as store:
            LIBRARY.seeder.seed(store, size=150, seed=seed, days=60, recent=False)
        assert (everything(again) == everything(path)) is same


def test_the_seeded_history_has_every_path_of_the_saga(seeded):
    path, report = seeded
    events = everything(path)
    counts = Counter(event[2] for event in events)
    assert report["events"] == len(events) and report["loans"] == 150
    refused = report["outcomes"].get("refused request_loan", 0)
    assert counts["LoanRequested"] == counts["LendingStarted"] == 150 - refused
    for kind in ("BookLent", "BookReturned", "BookDueSoon", "ReminderSent", "BookOverdue",
                 "FineCharged", "FinePaid", "LoanWithdrawn", "LoanClosed", "StepRejected"):
        assert counts[kind] > 0, kind
    outcomes = report["outcomes"]
    assert outcomes["sagas completed"] > outcomes["sagas compensated"] > 0
    assert outcomes["sagas running"] > 0  # loans still out when the period ended
    assert 0 < report["legacy_books"] < report["books"]
    with EventStore.open(path, read_only=True, registry=LIBRARY.registry) as store:
        assert store.checkpoint(Lending.name) == store.last_position()
        stored = [e for e in store.read_all() if e.event_type == "BookAcquired"]
        assert sum(e.stored is not None for e in stored) == report["legacy_books"]
        repository = Repository(store, LIBRARY.domain)
        for stream in store.list_streams("Lending"):  # the saga did everything it decided
            saga = repository.load("Lending", stream.stream_id).aggregate
            assert "scheduled" not in statuses_in(store, saga), stream.stream_id


def test_the_read_models_agree_with_the_aggregates(seeded, tmp_path):
    path, _ = seeded
    with EventStore.open(path, read_only=True, registry=LIBRARY.registry) as store, \
            ReadModelDatabase(tmp_path / "built.readmodels") as db:
        engine = ProjectionEngine(store, db, LIBRARY.projections())
        engine.catch_up_all()
        repository = Repository(store, LIBRARY.domain)
        books = {s.stream_id: repository.load("Book", s.stream_id).aggregate
                 for s in store.list_streams("Book")}
        on_loan = {row["book_id"]: row for row in engine.rows("books_on_loan", limit=None)}
        assert set(on_loan) == {b for b, book in books.items() if book.status == "on_loan"}
        for book_id, row in on_loan.items():
            assert (row["loan_id"], row["due_on"]) == (books[book_id].loan_id,
                                                       books[book_id].due_on)
        overdue = {row["book_id"] for row in engine.rows("overdue_loans", limit=None)}
        assert overdue and overdue == {b for b, row in on_loan.items()
                                       if row["status"] == "overdue"}
        for row in engine.rows("fines_per_member", limit=None):
            member = repository.load("Member", row["member_id"]).aggregate
            assert (row["outstanding"], row["unpaid"], row["status"]) == (
                member.outstanding, len(member.unpaid_fines), member.status)
        sagas = {row["saga_id"]: row["status"] for row in engine.rows("sagas", limit=None)}
        assert sagas == {s.stream_id: repository.load("Lending", s.stream_id).aggregate.status
                         for s in store.list_streams("Lending")}
        assert read_rows(db, engine.projection("sagas").main_table, limit=1)


def test_the_demo_scripts_tell_their_stories(tmp_path):
    path = tmp_path / "demo.evstore"
    open_store(path, system=LIBRARY, create=True).close()
    with Runner(str(path), LIBRARY) as runner:
        service = CommandService(runner.store, LIBRARY.domain, issued_by="test")

        def step(request):
            outcome = send(service, request, LIBRARY)
            runner.run_pending()
            return outcome

        for name in ("borrow-and-return.yaml", "overdue-fines.yaml"):
            script = load_script(Path(str(LIBRARY.scripts.joinpath(name))))
            assert all(r.as_expected for r in play(script, step, delay=0, run="t1"))
        sagas = {row["saga_id"]: row["status"] for row in runner.engine.rows("sagas")}
        assert sagas == {"lending-loan_ada_t1": "completed", "lending-loan_alan_t1": "compensated",
                         "lending-loan_a_t1": "running", "lending-loan_b_t1": "running",
                         "lending-loan_c_t1": "running"}
        fines = runner.engine.rows("fines_per_member")
        grace = next(row for row in fines if row["member_id"] == "member_grace_t1")
        assert (grace["status"], grace["unpaid"], grace["outstanding"]) == ("suspended", 3, 7.5)
        assert len(runner.engine.rows("overdue_loans")) == 3
        assert [row["book_id"] for row in runner.engine.rows("books_on_loan")] == [
            "book_a_t1", "book_b_t1", "book_c_t1"]
