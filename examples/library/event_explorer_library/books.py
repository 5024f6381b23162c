"""Books: acquired for the collection, lent under a loan, returned, or lost.

BookAcquired has two schema versions: version 1, written by the library's old catalogue, named
one `author`; version 2 lists `authors`. Stored version-1 events are upcast on read.

The library's nightly check (`check_loan`) tells a lent book's facts as they fall due: the due
date is near (BookDueSoon), then past (BookOverdue). The lending saga reacts to both.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import Field

from event_explorer_library.members import LoanId
from explorer.domain import Aggregate, AlreadyDone, Command, DomainError, applies

REMIND_DAYS_BEFORE = 2


def book_acquired_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 named a single `author`; version 2 lists `authors`."""
    upcast = {key: value for key, value in data.items() if key != "author"}
    return {**upcast, "authors": [data["author"]]}


def book_acquired_v2_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """The version-1 form of an acquisition (what the old catalogue wrote): the first author."""
    older = {key: value for key, value in data.items() if key != "authors"}
    return {**older, "author": data["authors"][0]}


class Book(Aggregate):
    """One copy of a book. Status goes on_shelf -> on_loan -> on_shelf, or to lost."""

    stream_type = "Book"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.title = ""
        self.authors: list[str] = []
        self.isbn = ""
        self.replacement_cost = 0.0
        self.status = "new"
        self.loan_id: str | None = None
        self.member_id: str | None = None
        self.due_on: str | None = None
        self.flagged: list[str] = []  # what the nightly check has said of the current loan

    # -- commands --------------------------------------------------------------------------

    def acquire(self, title: str, authors: list[str], isbn: str, replacement_cost: float) -> None:
        self._record("BookAcquired", book_id=self.id, title=title, authors=authors, isbn=isbn,
                     replacement_cost=replacement_cost)

    def lend(self, loan_id: str, member_id: str, due_on: str) -> None:
        if self.status == "lost":
            raise DomainError(f"Cannot lend {self.describe()}: it is lost.")
        if self.status == "on_loan":
            if self.loan_id == loan_id:
                raise AlreadyDone(f"{self.describe()} is already lent under {loan_id}.")
            raise DomainError(f"Cannot lend {self.describe()}: it is on loan to "
                              f"{self.member_id} until {self.due_on} ({self.loan_id}).")
        self._record("BookLent", book_id=self.id, title=self.title, loan_id=loan_id,
                     member_id=member_id, due_on=due_on, replacement_cost=self.replacement_cost)

    def return_book(self, loan_id: str, note: str = "") -> None:
        self._check_lent_under(loan_id, "return")
        self._record("BookReturned", book_id=self.id, title=self.title, loan_id=loan_id,
                     member_id=self.member_id, due_on=self.due_on, late="overdue" in self.flagged,
                     note=note)

    def declare_lost(self, loan_id: str | None = None, note: str = "") -> None:
        if self.status == "lost":
            raise AlreadyDone(f"{self.describe()} is already lost.")
        if loan_id is not None:
            self._check_lent_under(loan_id, "declare lost")
        elif self.status == "on_loan":
            raise DomainError(f"Cannot declare {self.describe()} lost without its loan: it is "
                              f"on loan under {self.loan_id}; name that loan.")
        self._record("BookLost", book_id=self.id, title=self.title, loan_id=loan_id,
                     member_id=self.member_id if loan_id else None,
                     replacement_cost=self.replacement_cost, note=note)

    def check_loan(self, today: date) -> None:
        """The nightly check: say that the due date is near, or past, once each."""
        if self.status != "on_loan" or self.due_on is None:
            raise DomainError(f"Cannot check the loan of {self.describe()}: it is not on loan.")
        due = date.fromisoformat(self.due_on)
        facts = dict(book_id=self.id, title=self.title, loan_id=self.loan_id,
                     member_id=self.member_id, due_on=self.due_on)
        if today > due and "overdue" not in self.flagged:
            self._record("BookOverdue", **facts, days_late=(today - due).days)
        elif (due - today).days <= REMIND_DAYS_BEFORE and not self.flagged:
            self._record("BookDueSoon", **facts, days_left=(due - today).days)
        else:
            raise AlreadyDone(f"Nothing to say of {self.describe()} on {today}: it is due on "
                              f"{self.due_on}.")

    def _check_lent_under(self, loan_id: str, action: str) -> None:
        if self.status != "on_loan":
            state = "lost" if self.status == "lost" else "not on loan"
            raise DomainError(f"Cannot {action} {self.describe()} for {loan_id}: it is {state}.")
        if self.loan_id != loan_id:
            raise DomainError(f"Cannot {action} {self.describe()} for {loan_id}: it is on loan "
                              f"under {self.loan_id}.")

    def describe(self) -> str:
        return f"book {self.id} ({self.title})" if self.title else f"book {self.id}"

    # -- events ----------------------------------------------------------------------------

    @applies("BookAcquired", version=2, upcasters={1: book_acquired_v1_to_v2})
    def _acquired(self, data: dict[str, Any]) -> None:
        """A copy of a book joined the collection."""
        self.title = data["title"]
        self.authors = data["authors"]
        self.isbn = data["isbn"]
        self.replacement_cost = data["replacement_cost"]
        self.status = "on_shelf"

    @applies("BookLent")
    def _lent(self, data: dict[str, Any]) -> None:
        """The book went out under a loan, due back on a date."""
        self.status = "on_loan"
        self.loan_id = data["loan_id"]
        self.member_id = data["member_id"]
        self.due_on = data["due_on"]
        self.flagged = []

    @applies("BookDueSoon")
    def _due_soon(self, data: dict[str, Any]) -> None:
        """The nightly check found the book due back within two days."""
        self.flagged.append("due_soon")

    @applies("BookOverdue")
    def _overdue(self, data: dict[str, Any]) -> None:
        """The nightly check found the book past its due date."""
        self.flagged.append("overdue")

    @applies("BookReturned")
    def _returned(self, data: dict[str, Any]) -> None:
        """The book came back to the shelf."""
        self.status = "on_shelf"
        self.loan_id = self.member_id = self.due_on = None
        self.flagged = []

    @applies("BookLost")
    def _lost(self, data: dict[str, Any]) -> None:
        """The book is lost (on loan, or from the shelf)."""
        self.status = "lost"
        self.loan_id = self.member_id = self.due_on = None
        self.flagged = []


class BookCommand(Command):
    stream_type: ClassVar[str] = "Book"


class Acquire(BookCommand):
    """Add a new copy of a book to the collection."""

    command_name: ClassVar[str] = "acquire"
    creates_stream: ClassVar[bool | None] = True
    title: str = Field(min_length=1, max_length=200, description="The book's title")
    authors: list[str] = Field(min_length=1, max_length=10, description="Its authors, in order")
    isbn: str = Field(pattern=r"^(97[89])?\d{9}[\dX]$",
                      description="ISBN-10 or ISBN-13, digits only")
    replacement_cost: float = Field(ge=0, le=10_000,
                                    description="What the library charges if it is lost")


class Lend(BookCommand):
    """Lend the book under a loan (the lending saga sends it)."""

    command_name: ClassVar[str] = "lend"
    loan_id: str = LoanId
    member_id: str = Field(min_length=1, max_length=100, description="The member, e.g. member_07")
    due_on: date = Field(description="When the book is due back")

    def run(self, aggregate: Book, context: Any) -> None:
        aggregate.lend(self.loan_id, self.member_id, self.due_on.isoformat())


class ReturnBook(BookCommand):
    """Take the book back to the shelf at the end of its loan."""

    command_name: ClassVar[str] = "return_book"
    loan_id: str = LoanId
    note: str = Field("", max_length=200, description="Anything to say about its state")


class DeclareLost(BookCommand):
    """Declare the book lost: on loan (name the loan) or from the shelf."""

    command_name: ClassVar[str] = "declare_lost"
    loan_id: str | None = Field(None, min_length=1, max_length=100,
                                description="The loan it was lost under, if any")
    note: str = Field("", max_length=200, description="How it was lost")


class CheckLoan(BookCommand):
    """The nightly check of a lent book: is it due soon, or overdue?"""

    command_name: ClassVar[str] = "check_loan"
    today: date = Field(description="The day the check runs for")

    def run(self, aggregate: Book, context: Any) -> None:
        aggregate.check_loan(self.today)


BOOK_COMMANDS = [Acquire, Lend, ReturnBook, DeclareLost, CheckLoan]
