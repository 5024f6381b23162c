"""Members: they join, borrow up to five books at a time, are reminded, fined and suspended.

A member's loans are listed on the member from the request until the loan is closed or the
request withdrawn. Fines are per loan and kind (overdue, lost) and stay unpaid until paid; the
lending saga suspends a member once three are unpaid. A suspended member may not borrow.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field

from explorer.domain import Aggregate, AlreadyDone, Command, DomainError, applies

MAX_LOANS = 5
FineKind = Literal["overdue", "lost"]
LoanId = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$",
               description="The loan, e.g. loan_0042")


class Member(Aggregate):
    """A library member. Status goes active -> suspended -> active."""

    stream_type = "Member"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.name = ""
        self.email = ""
        self.status = "new"
        self.suspension_reason: str | None = None
        self.loans: dict[str, str] = {}  # loan id -> book id
        self.unpaid_fines: dict[str, float] = {}  # "loan_id/kind" -> amount

    @property
    def outstanding(self) -> float:
        return round(sum(self.unpaid_fines.values()), 2)

    # -- commands --------------------------------------------------------------------------

    def join(self, name: str, email: str) -> None:
        self._record("MemberJoined", member_id=self.id, name=name, email=email)

    def request_loan(self, loan_id: str, book_id: str, days: int) -> None:
        if self.status == "suspended":
            raise DomainError(f"{self.name} ({self.id}) may not borrow: suspended since "
                              f"{self.suspension_reason}. Pay the fines, then reinstate them.")
        if loan_id in self.loans:
            raise DomainError(f"{self.id} already has {loan_id} (for {self.loans[loan_id]}); "
                              "use a new loan id.")
        if len(self.loans) >= MAX_LOANS:
            raise DomainError(f"{self.name} ({self.id}) already has {MAX_LOANS} books on loan; "
                              "one must come back first.")
        self._record("LoanRequested", member_id=self.id, loan_id=loan_id, book_id=book_id,
                     days=days)

    def withdraw_loan(self, loan_id: str, reason: str) -> None:
        book_id = self._loan(loan_id, "withdraw")
        self._record("LoanWithdrawn", member_id=self.id, loan_id=loan_id, book_id=book_id,
                     reason=reason)

    def remind(self, loan_id: str, title: str, due_on: str) -> None:
        if loan_id not in self.loans:
            raise AlreadyDone(f"No reminder needed: {loan_id} of {self.id} is closed.")
        self._record("ReminderSent", member_id=self.id, email=self.email, loan_id=loan_id,
                     book_id=self.loans[loan_id], title=title, due_on=due_on)

    def close_loan(self, loan_id: str, outcome: str) -> None:
        if loan_id not in self.loans:
            raise AlreadyDone(f"{loan_id} of {self.id} is closed already.")
        self._record("LoanClosed", member_id=self.id, loan_id=loan_id,
                     book_id=self.loans[loan_id], outcome=outcome)

    def charge_fine(self, loan_id: str, kind: str, amount: float) -> None:
        key = f"{loan_id}/{kind}"
        if key in self.unpaid_fines:
            raise AlreadyDone(f"{self.id} has been fined for {kind} {loan_id} already.")
        self._record("FineCharged", member_id=self.id, loan_id=loan_id, kind=kind,
                     amount=amount, unpaid_fines=len(self.unpaid_fines) + 1,
                     outstanding=round(self.outstanding + amount, 2))

    def pay_fine(self, loan_id: str, kind: str) -> None:
        amount = self.unpaid_fines.get(f"{loan_id}/{kind}")
        if amount is None:
            owed = ", ".join(self.unpaid_fines) or "none"
            raise DomainError(f"{self.id} owes no {kind} fine for {loan_id} (unpaid: {owed}).")
        self._record("FinePaid", member_id=self.id, loan_id=loan_id, kind=kind, amount=amount,
                     unpaid_fines=len(self.unpaid_fines) - 1,
                     outstanding=round(self.outstanding - amount, 2))

    def suspend(self, reason: str) -> None:
        if self.status == "suspended":
            raise AlreadyDone(f"{self.id} is suspended already ({self.suspension_reason}).")
        self._record("MemberSuspended", member_id=self.id, reason=reason,
                     unpaid_fines=len(self.unpaid_fines), outstanding=self.outstanding)

    def reinstate(self, note: str) -> None:
        if self.status != "suspended":
            raise DomainError(f"{self.id} is not suspended.")
        if len(self.unpaid_fines) >= 3:
            raise DomainError(f"Cannot reinstate {self.id}: {len(self.unpaid_fines)} fines are "
                              f"unpaid ({self.outstanding:.2f}); at least one must be paid.")
        self._record("MemberReinstated", member_id=self.id, note=note)

    def _loan(self, loan_id: str, action: str) -> str:
        if loan_id not in self.loans:
            open_loans = ", ".join(self.loans) or "none"
            raise DomainError(f"Cannot {action} {loan_id}: {self.id} has no such open loan "
                              f"(open: {open_loans}).")
        return self.loans[loan_id]

    # -- events ----------------------------------------------------------------------------

    @applies("MemberJoined")
    def _joined(self, data: dict[str, Any]) -> None:
        """Someone joined the library."""
        self.name = data["name"]
        self.email = data["email"]
        self.status = "active"

    @applies("LoanRequested")
    def _loan_requested(self, data: dict[str, Any]) -> None:
        """The member asked to borrow a book for some days."""
        self.loans[data["loan_id"]] = data["book_id"]

    @applies("LoanWithdrawn")
    def _loan_withdrawn(self, data: dict[str, Any]) -> None:
        """A loan request was withdrawn (the book could not be lent, or the member changed
        their mind)."""
        self.loans.pop(data["loan_id"], None)

    @applies("ReminderSent")
    def _reminded(self, data: dict[str, Any]) -> None:
        """The member was reminded that a book is due back soon."""

    @applies("LoanClosed")
    def _loan_closed(self, data: dict[str, Any]) -> None:
        """A loan ended: the book came back, or was lost."""
        self.loans.pop(data["loan_id"], None)

    @applies("FineCharged")
    def _fined(self, data: dict[str, Any]) -> None:
        """The member was fined for a late or lost book."""
        self.unpaid_fines[f"{data['loan_id']}/{data['kind']}"] = data["amount"]

    @applies("FinePaid")
    def _fine_paid(self, data: dict[str, Any]) -> None:
        """The member paid a fine."""
        self.unpaid_fines.pop(f"{data['loan_id']}/{data['kind']}", None)

    @applies("MemberSuspended")
    def _suspended(self, data: dict[str, Any]) -> None:
        """The member may not borrow until reinstated."""
        self.status = "suspended"
        self.suspension_reason = data["reason"]

    @applies("MemberReinstated")
    def _reinstated(self, data: dict[str, Any]) -> None:
        """A suspended member may borrow again."""
        self.status = "active"
        self.suspension_reason = None


class MemberCommand(Command):
    stream_type: ClassVar[str] = "Member"


class Join(MemberCommand):
    """A new member joins the library."""

    command_name: ClassVar[str] = "join"
    creates_stream: ClassVar[bool | None] = True
    name: str = Field(min_length=1, max_length=100, description="The member's full name")
    email: str = Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                       description="Where reminders go")


class RequestLoan(MemberCommand):
    """Ask to borrow a book; the lending saga lends it, or withdraws the request."""

    command_name: ClassVar[str] = "request_loan"
    loan_id: str = LoanId
    book_id: str = Field(min_length=1, max_length=100, description="The book, e.g. book_012")
    days: int = Field(14, ge=1, le=42, description="How many days to keep it (1 to 42)")


class WithdrawLoan(MemberCommand):
    """Withdraw a loan request (the lending saga sends it when the book cannot be lent)."""

    command_name: ClassVar[str] = "withdraw_loan"
    loan_id: str = LoanId
    reason: str = Field(min_length=1, max_length=200, description="Why")


class Remind(MemberCommand):
    """Remind the member that a book is due back (the lending saga sends it)."""

    command_name: ClassVar[str] = "remind"
    loan_id: str = LoanId
    title: str = Field(min_length=1, max_length=200, description="The book's title")
    due_on: date = Field(description="When it is due back")

    def run(self, aggregate: Member, context: Any) -> None:
        aggregate.remind(self.loan_id, self.title, self.due_on.isoformat())


class CloseLoan(MemberCommand):
    """Close a loan once its book is back or lost (the lending saga sends it)."""

    command_name: ClassVar[str] = "close_loan"
    loan_id: str = LoanId
    outcome: Literal["returned", "lost"] = Field(description="How the loan ended")


class ChargeFine(MemberCommand):
    """Fine the member for a late or lost book (the lending saga sends it)."""

    command_name: ClassVar[str] = "charge_fine"
    loan_id: str = LoanId
    kind: FineKind = Field(description="What the fine is for")
    amount: float = Field(gt=0, le=10_000, description="How much")


class PayFine(MemberCommand):
    """The member pays one of their fines."""

    command_name: ClassVar[str] = "pay_fine"
    loan_id: str = LoanId
    kind: FineKind = Field(description="Which of the loan's fines")


class Suspend(MemberCommand):
    """Suspend a member: they may not borrow until reinstated."""

    command_name: ClassVar[str] = "suspend"
    reason: str = Field(min_length=1, max_length=200, description="Why")


class Reinstate(MemberCommand):
    """Let a suspended member borrow again (once fewer than three fines are unpaid)."""

    command_name: ClassVar[str] = "reinstate"
    note: str = Field("", max_length=200, description="Anything to note")


MEMBER_COMMANDS = [Join, RequestLoan, WithdrawLoan, Remind, CloseLoan, ChargeFine, PayFine,
                   Suspend, Reinstate]
