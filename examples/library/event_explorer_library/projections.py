"""The library's read models: books on loan, overdue loans, fines per member, lending sagas.

Each is a versioned table (explorer.projections.versioned_table), so the explorer can show any
of them as of any past position. Times are ISO 8601 text in UTC; money is rounded to cents.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from event_explorer_library.books import Book
from event_explorer_library.lending import Lending
from event_explorer_library.members import Member
from explorer.projections import Projection, Writes, versioned_table
from explorer.sagas.instances import SagaInstancesProjection, followed_event_types, saga_tables
from explorer.store import RecordedEvent

metadata = sa.MetaData()
Text, Integer, Float = sa.Text, sa.Integer, sa.Float

books_on_loan = versioned_table("books_on_loan", metadata, [sa.Column("book_id", Text)], [
    sa.Column("title", Text), sa.Column("loan_id", Text), sa.Column("member_id", Text),
    sa.Column("lent_at", Text), sa.Column("due_on", Text), sa.Column("status", Text)])
overdue_loans = versioned_table("overdue_loans", metadata, [sa.Column("loan_id", Text)], [
    sa.Column("book_id", Text), sa.Column("title", Text), sa.Column("member_id", Text),
    sa.Column("due_on", Text), sa.Column("days_late", Integer), sa.Column("fined", Float)])
fines_per_member = versioned_table("fines_per_member", metadata, [
    sa.Column("member_id", Text)], [
    sa.Column("name", Text), sa.Column("status", Text), sa.Column("fines", Integer),
    sa.Column("unpaid", Integer), sa.Column("charged", Float), sa.Column("paid", Float),
    sa.Column("outstanding", Float), sa.Column("last_fine_at", Text)])
lending_instances, lending_step_commands = saga_tables(Lending, metadata, [
    sa.Column("loan_id", Text), sa.Column("member_id", Text), sa.Column("book_id", Text)])


def when(event: RecordedEvent) -> str:
    """The event's time as ISO 8601 text in UTC, to the second."""
    moment = datetime.fromtimestamp(event.timestamp_us // 1_000_000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class BooksOnLoanProjection(Projection):
    name = "books_on_loan"
    title = "Books on loan"
    description = "Every book out on loan: to whom, since when, due when, and whether overdue."
    event_types = frozenset({"BookLent", "BookDueSoon", "BookOverdue", "BookReturned",
                             "BookLost"})
    tables = (books_on_loan,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        data, key = event.data, (event.stream_id,)
        if event.event_type == "BookLent":
            writes.put("books_on_loan", key, title=data["title"], loan_id=data["loan_id"],
                       member_id=data["member_id"], lent_at=when(event), due_on=data["due_on"],
                       status="on loan")
        elif event.event_type in ("BookReturned", "BookLost"):
            if writes.get("books_on_loan", *key) is not None:
                writes.delete("books_on_loan", key)
        else:
            writes.update("books_on_loan", key, status="due soon"
                          if event.event_type == "BookDueSoon" else "overdue")


class OverdueLoansProjection(Projection):
    name = "overdue_loans"
    title = "Overdue loans"
    description = "Loans past their due date, until the book comes back or is lost."
    event_types = frozenset({"BookOverdue", "FineCharged", "BookReturned", "BookLost"})
    tables = (overdue_loans,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        data = event.data
        loan_id = data.get("loan_id")
        if not loan_id:
            return
        key = (loan_id,)
        if event.event_type == "BookOverdue":
            writes.put("overdue_loans", key, book_id=data["book_id"], title=data["title"],
                       member_id=data["member_id"], due_on=data["due_on"],
                       days_late=data["days_late"], fined=0.0)
            return
        row = writes.get("overdue_loans", *key)
        if row is None:
            return  # a loan that was never overdue
        if event.event_type == "FineCharged":
            writes.update("overdue_loans", key, fined=round(row["fined"] + data["amount"], 2))
        else:
            writes.delete("overdue_loans", key)


class FinesPerMemberProjection(Projection):
    name = "fines_per_member"
    title = "Fines per member"
    description = "Each member's fines: how many, charged, paid, outstanding; and if suspended."
    event_types = frozenset({"MemberJoined", "FineCharged", "FinePaid", "MemberSuspended",
                             "MemberReinstated"})
    tables = (fines_per_member,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        data, key = event.data, (event.stream_id,)
        row = writes.get("fines_per_member", *key) or {
            "name": None, "status": "active", "fines": 0, "unpaid": 0, "charged": 0.0,
            "paid": 0.0, "outstanding": 0.0, "last_fine_at": None}
        kind = event.event_type
        if kind == "MemberJoined":
            row["name"] = data["name"]
        elif kind == "FineCharged":
            row.update(fines=row["fines"] + 1, charged=round(row["charged"] + data["amount"], 2),
                       last_fine_at=when(event))
        elif kind == "FinePaid":
            row["paid"] = round(row["paid"] + data["amount"], 2)
        else:
            row["status"] = "suspended" if kind == "MemberSuspended" else "active"
        if kind in ("FineCharged", "FinePaid"):
            row.update(unpaid=data["unpaid_fines"], outstanding=data["outstanding"])
        writes.put("fines_per_member", key, **row)


class LendingSagasProjection(SagaInstancesProjection):
    name = "sagas"
    title = "Lending sagas"
    description = "Every loan's saga: its status, current step and progress."
    saga = Lending
    event_types = followed_event_types(Lending, [Book, Member])
    tables = (lending_instances, lending_step_commands)


def library_projections() -> list[Projection]:
    """Fresh instances of the library's projections (each engine gets its own)."""
    return [BooksOnLoanProjection(), OverdueLoansProjection(), FinesPerMemberProjection(),
            LendingSagasProjection()]
