"""Seeding a library store: a few months of members borrowing books, made by real commands.

A small discrete-event simulation. Members join, and ask for books at the desk; the lending
saga (run by the engine's own SagaManager, as the live runner would) lends them, or withdraws
the request when the book is out. The library's nightly check says when a book is due soon
and when it is overdue; the saga reminds, fines, and suspends members with three unpaid fines.
Most books come back on time, some late, a few are lost; members pay fines and are reinstated.
The first books came from the old catalogue and are stored in BookAcquired's version-1 form.
Loans still out when the period ends leave their sagas running. The same seed gives the same
store, event ids included.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from event_explorer_library.books import book_acquired_v2_to_v1
from event_explorer_library.domain import LIBRARY_DOMAIN
from event_explorer_library.lending import Lending
from explorer.domain import CommandResult, CommandService, DomainError
from explorer.sagas import SagaManager
from explorer.store import EventStore, NewEvent
from explorer.store.ids import uuid7

SEED_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MINUTE = 60 * 1_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WORDS = ["Silent", "Northern", "Glass", "Hidden", "Last", "Winter", "Paper", "Iron", "Quiet",
         "Lost", "Golden", "Distant", "Little", "Burning", "Salt"]
NOUNS = ["Garden", "River", "Lighthouse", "Archive", "Orchard", "Harbour", "Clock", "Atlas",
         "Library", "Mountain", "Station", "Island", "Letters", "Compass", "Kingdom"]
FIRST_NAMES = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret",
               "Dennis", "Radia", "Tim", "Sophie", "Linus", "Guido", "Anita", "Hedy", "Leslie"]
LAST_NAMES = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
              "Hamilton", "Ritchie", "Perlman", "Wilson", "Borg", "Lamarr", "Lamport", "Jones"]


def recent_start(days: int) -> datetime:
    """A start that ends the simulated period a day before now."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(days=days + 1)


class LibrarySeeder:
    """Loans made by simulated members over a period, the lending saga driving each."""

    size_name = "loans"
    size_help = "how many loans to simulate (about ten events each)"
    default_size = 400
    max_size = 50_000  # about 500,000 events: some twenty minutes (a command at a time)

    def seed(self, store: EventStore, *, size: int, seed: int, days: int, recent: bool,
             progress: Callable[[int], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> dict[str, Any]:
        if size < 1 or days < 1:
            raise ValueError(f"Seed at least one loan over at least one day, not {size} loans "
                             f"over {days} days.")
        if store.last_position():
            raise ValueError(f"{store.location} already holds {store.last_position()} events; "
                             "seed a new or empty store, so that the ids do not collide.")
        start = recent_start(days) if recent else SEED_START
        return _Library(store, size, seed, days, start, progress, should_stop).run()


class _Library:
    """The simulated library: its calendar of things to do, and what it knows of the world."""

    def __init__(self, store: EventStore, loans: int, seed: int, days: int, start: datetime,
                 progress: Callable[[int], None] | None,
                 should_stop: Callable[[], bool] | None) -> None:
        self.store = store
        self.rng = random.Random(seed)
        id_rng = random.Random(seed ^ 0xB00C)
        self.now = int(start.timestamp() * 1_000_000)
        self.end = self.now + days * DAY
        self.service = CommandService(store, LIBRARY_DOMAIN, issued_by="desk:library",
                                      clock=lambda: self.now,
                                      new_id=lambda: uuid7(self.now // 1000, id_rng))
        self.sagas = SagaManager(Lending, self.service)
        self.loans = loans
        self.width = max(3, len(str(loans)))
        self.members = [{"id": f"member_{n:0{self.width}d}", "joined": False,
                         "late_prone": self.rng.random() < 0.15}
                        for n in range(1, max(8, loans // 6) + 1)]
        self.books: dict[str, str] = {}  # book id -> the loan it is out under ("" on the shelf)
        self.book_count = max(12, loans // 3)
        self.legacy_books = 0
        self.correlation: dict[str, str] = {}  # loan id -> its correlation id
        self.progress = progress
        self.should_stop = should_stop or (lambda: False)
        self.outcomes: Counter[str] = Counter()
        self._calendar: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = itertools.count()

    # -- the calendar ----------------------------------------------------------------------

    def at(self, when: int, action: Callable[..., None], *args: Any) -> None:
        if when < self.end:  # what falls after the period is left undone
            heapq.heappush(self._calendar, (when, next(self._order), action, args))

    def run(self) -> dict[str, Any]:
        opening = self.book_count * 2 // 3
        for number in range(1, opening + 1):  # the opening collection, catalogued one by one
            self.acquire(number, legacy=number <= opening // 2)
            self.now += self.rng.randrange(MINUTE, 3 * MINUTE)
        for number in range(opening + 1, self.book_count + 1):  # the collection grows
            self.at(self.now + self.rng.randrange(self.end - self.now), self.acquire, number)
        stopped = False
        for number, arrival in enumerate(self.arrivals(), start=1):
            self._run_until(arrival)
            self.now = max(self.now, arrival)
            self.request_loan(number)
            if number % 50 == 0:
                if self.progress:
                    self.progress(number)
                if self.should_stop():
                    stopped = True
                    break
        if not stopped:
            self._run_until(self.end)
        if self.progress:
            self.progress(number)
        return {"loans": number, "events": self.store.last_position(),
                "members": sum(m["joined"] for m in self.members), "books": len(self.books),
                "legacy_books": self.legacy_books, "outcomes": dict(self.saga_outcomes()),
                "cancelled_by_user": stopped}

    def arrivals(self) -> list[int]:
        """When each member comes to the desk: random gaps over the first nine tenths of the
        period (the last tenth lets loans run their course)."""
        span = (self.end - self.now) * 9 // 10
        gaps = [self.rng.expovariate(1.0) for _ in range(self.loans)]
        scale = span / sum(gaps)
        times, at = [], float(self.now)
        for gap in gaps:
            at += gap * scale
            times.append(int(at))
        return times

    def _run_until(self, limit: int) -> None:
        while self._calendar and self._calendar[0][0] <= limit:
            when, _, action, args = heapq.heappop(self._calendar)
            self.now = max(self.now, when)
            action(*args)

    def send(self, stream_type: str, stream_id: str, command: str, data: dict[str, Any], *,
             by: str = "desk:library", loan_id: str | None = None) -> CommandResult | None:
        """Send a command as the live system would get it, then let the saga react; None if
        it was refused."""
        try:
            result = self.service.execute(stream_type, stream_id, command, data, issued_by=by,
                                          correlation_id=self.correlation.get(loan_id or ""))
        except DomainError:
            self.outcomes[f"refused {command}"] += 1
            return None
        self.sagas.catch_up()
        return result

    # -- books and members -----------------------------------------------------------------

    def acquire(self, number: int, legacy: bool = False) -> None:
        book_id = f"book_{number:0{self.width}d}"
        rng = self.rng
        data = {"title": f"The {rng.choice(WORDS)} {rng.choice(NOUNS)}",
                "authors": [self.person() for _ in range(rng.choice((1, 1, 1, 2)))],
                "isbn": isbn13(rng), "replacement_cost": float(rng.randrange(8, 46))}
        if legacy:  # imported from the old catalogue, which knew one author
            self.store.append(book_id, "Book", [NewEvent(
                "BookAcquired", {"book_id": book_id, **book_acquired_v2_to_v1(data)},
                metadata={"command": "import", "issued_by": "import:old-catalogue"},
                event_id=self.service.new_id(), timestamp_us=self.now, schema_version=1)], 0)
            self.legacy_books += 1
        elif self.send("Book", book_id, "acquire", data) is None:
            return
        self.books[book_id] = ""

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def member(self) -> dict[str, Any]:
        member = self.rng.choice(self.members)
        if not member["joined"]:
            name = self.person()
            email = f"{name.replace(' ', '.').lower()}.{member['id'][-3:]}@example.org"
            self.send("Member", member["id"], "join", {"name": name, "email": email},
                      by=f"web:{member['id']}")
            member["joined"] = True
        return member

    # -- a loan's life ---------------------------------------------------------------------

    def request_loan(self, number: int) -> None:
        rng = self.rng
        member = self.member()
        on_shelf = [book for book, loan in self.books.items() if not loan]
        if on_shelf and rng.random() > 0.06:
            book_id = rng.choice(on_shelf)
        else:  # a book that is out: the saga will have to withdraw the request
            book_id = rng.choice(list(self.books))
        loan_id = f"loan_{number:0{self.width}d}"
        days = rng.choice((7, 14, 14, 14, 21, 28))
        requested = self.send("Member", member["id"], "request_loan",
                              {"loan_id": loan_id, "book_id": book_id, "days": days},
                              by=f"desk:{member['id']}")
        if requested is None:  # suspended, or at their limit
            self.at(self.now + rng.randrange(DAY, 7 * DAY), self.pay_fines, member["id"])
            return
        self.correlation[loan_id] = requested.correlation_id
        if self.books.get(book_id) or not self._lent(loan_id):
            return
        self.books[book_id] = loan_id
        if rng.random() < 0.01:  # changed their mind at the desk
            self.at(self.now + rng.randrange(MINUTE, 10 * MINUTE), self.withdraw, member,
                    loan_id)
            return
        due = self.today() + timedelta(days=days)
        self.at(self.night_of(due - timedelta(days=2)), self.check, book_id, loan_id)
        self.at(self.night_of(due + timedelta(days=1)), self.check, book_id, loan_id)
        roll = rng.random()
        late = rng.random() < (0.6 if member["late_prone"] else 0.08)
        if roll < 0.02:
            self.at(self.now + rng.randrange(DAY, days * DAY), self.lose, book_id, loan_id)
        elif late:
            self.at(self.night_of(due) + rng.randrange(2 * DAY, 20 * DAY), self.give_back,
                    book_id, loan_id, member)
        else:
            self.at(self.now + rng.randrange(HOUR, days * DAY), self.give_back, book_id,
                    loan_id, member)

    def _lent(self, loan_id: str) -> bool:
        saga = self.service.repository.load(Lending.stream_type, Lending.stream_prefix + loan_id)
        return saga.aggregate.lent

    def check(self, book_id: str, loan_id: str) -> None:
        """The nightly check of one lent book (if it is still out under that loan)."""
        if self.books.get(book_id) == loan_id:
            self.send("Book", book_id, "check_loan", {"today": self.today().isoformat()},
                      by="clock:nightly-check", loan_id=loan_id)

    def give_back(self, book_id: str, loan_id: str, member: dict[str, Any]) -> None:
        if self.books.get(book_id) != loan_id:
            return
        if self.send("Book", book_id, "return_book", {"loan_id": loan_id},
                     loan_id=loan_id) is not None:
            self.books[book_id] = ""
        if self.rng.random() < (0.3 if member["late_prone"] else 0.8):
            self.at(self.now + self.rng.randrange(HOUR, 10 * DAY), self.pay_fines, member["id"])

    def lose(self, book_id: str, loan_id: str) -> None:
        if self.books.get(book_id) == loan_id:
            self.send("Book", book_id, "declare_lost", {"loan_id": loan_id,
                                                       "note": "the member lost it"},
                      loan_id=loan_id)
            del self.books[book_id]

    def withdraw(self, member: dict[str, Any], loan_id: str) -> None:
        self.send("Member", member["id"], "withdraw_loan",
                  {"loan_id": loan_id, "reason": "changed their mind"},
                  by=f"desk:{member['id']}", loan_id=loan_id)
        self.books.update({book: "" for book, loan in self.books.items() if loan == loan_id})

    def pay_fines(self, member_id: str) -> None:
        """The member settles up, then asks to be reinstated if they were suspended."""
        member = self.service.repository.load("Member", member_id).aggregate
        for fine in list(member.unpaid_fines):
            loan_id, kind = fine.rsplit("/", 1)
            self.send("Member", member_id, "pay_fine", {"loan_id": loan_id, "kind": kind},
                      by=f"desk:{member_id}")
        if member.status == "suspended":
            self.send("Member", member_id, "reinstate", {"note": "fines paid"})

    # -- time ------------------------------------------------------------------------------

    def today(self) -> date:
        return datetime.fromtimestamp(self.now / 1_000_000, UTC).date()

    @staticmethod
    def night_of(day: date) -> int:
        """Two in the morning of a day, when the nightly check runs."""
        return int(datetime(day.year, day.month, day.day, 2, tzinfo=UTC).timestamp()) \
            * 1_000_000

    def saga_outcomes(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for stream in self.store.list_streams(Lending.stream_type):
            saga = self.service.repository.load(Lending.stream_type, stream.stream_id)
            counts[f"sagas {saga.aggregate.status}"] += 1
        counts.update({k: v for k, v in self.outcomes.items()})
        return counts


def isbn13(rng: random.Random) -> str:
    """A well-formed ISBN-13 (978, nine digits, and its check digit)."""
    digits = [9, 7, 8, *(rng.randrange(10) for _ in range(9))]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)
