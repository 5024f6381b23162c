"""The lending saga: one per loan, from the member's request to the loan's end.

    LoanRequested            -> lend the book
    BookLent                 -> (wait for the nightly check, or the book's return)
    BookDueSoon              -> send the member a due reminder
    BookOverdue              -> charge an overdue fine
    FineCharged              -> suspend the member once three fines are unpaid
    BookReturned             -> close the loan; completed once closed
    BookLost                 -> charge the replacement fee, close the loan; completed once closed
    lending refused          -> withdraw the request; compensated
    LoanWithdrawn (by others)-> take the book back if it was lent; compensated

A refused compensation step, or a refused step after the book was lent, leaves the saga failed,
for a person to look at. One saga per loan, in the stream lending-LOAN_ID.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from explorer.domain import applies
from explorer.sagas import COMPENSATION, FORWARD, ProcessManager
from explorer.sagas.process import Observed

OVERDUE_FINE = 2.50
SUSPEND_AT_UNPAID_FINES = 3
SAGA_PREFIX = "lending-"
FINE_STEPS = {"overdue": "charge overdue fine", "lost": "charge replacement fee"}


def due_date(requested_at_us: int | None, days: int) -> str:
    """The day a loan requested at that time for that many days is due back (ISO date)."""
    requested = datetime.fromtimestamp(requested_at_us / 1e6, UTC) if requested_at_us \
        else datetime.now(UTC)
    return (requested.date() + timedelta(days=days)).isoformat()


class Lending(ProcessManager):
    """Lends a book to a member, reminds, fines and closes the loan, or backs out of it."""

    stream_type = "Lending"
    name = "lending"
    title = "lending"
    stream_prefix = SAGA_PREFIX
    observes = frozenset({"LoanRequested", "BookLent", "BookDueSoon", "BookOverdue",
                          "FineCharged", "BookReturned", "BookLost", "LoanClosed",
                          "LoanWithdrawn"})

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.loan_id: str | None = None
        self.member_id: str | None = None
        self.book_id: str | None = None
        self.due_on: str | None = None
        self.book_title = ""
        self.replacement_cost = 0.0
        self.lent = False

    @classmethod
    def saga_id_for(cls, event: Observed) -> str | None:
        loan_id = event.data.get("loan_id")
        return f"{SAGA_PREFIX}{loan_id}" if isinstance(loan_id, str) and loan_id else None

    # -- observing -------------------------------------------------------------------------

    def observe(self, event: Observed) -> None:
        if event.event_type not in self.observes or self.has_handled(event):
            return
        if event.event_type == "LoanRequested":
            if not self.exists:
                self._start(event)
            return
        if not self.exists or self.status in ("completed", "failed"):
            return
        if self.status in ("compensating", "compensated"):
            # Only what still needs undoing: a book lent late, and taking it back.
            late = {"BookLent": self._lent, "BookReturned": self._taken_back,
                    "LoanWithdrawn": self._withdrawn}.get(event.event_type)
            if late is not None:
                late(event)
            return
        handler = {"BookLent": self._lent, "BookDueSoon": self._due_soon,
                   "BookOverdue": self._overdue, "FineCharged": self._fined,
                   "BookReturned": self._returned, "BookLost": self._lost,
                   "LoanClosed": self._closed, "LoanWithdrawn": self._withdrawn,
                   }[event.event_type]
        handler(event)

    def _start(self, event: Observed) -> None:
        data = event.data
        due_on = due_date(event.timestamp_us, data["days"])
        self._record("LendingStarted", source_event_id=event.event_id, at=event.timestamp_us,
                     loan_id=data["loan_id"], member_id=data["member_id"],
                     book_id=data["book_id"], due_on=due_on, status="running",
                     correlation_id=getattr(event, "correlation_id", None)
                     or (getattr(event, "metadata", None) or {}).get("correlation_id"),
                     schedule=[self.step("lend book", FORWARD, "Book", data["book_id"], "lend",
                                         {"loan_id": data["loan_id"],
                                          "member_id": data["member_id"], "due_on": due_on},
                                         event)])

    def _lent(self, event: Observed) -> None:
        schedule = []
        if self.status in ("compensating", "compensated"):  # lent after the request went
            schedule = self._new([self._take_back(event)])
        self._record("BookLentConfirmed", source_event_id=event.event_id, at=event.timestamp_us,
                     title=event.data["title"], replacement_cost=event.data["replacement_cost"],
                     outcomes=self._done("lend book", event), schedule=schedule)

    def _due_soon(self, event: Observed) -> None:
        self._record("DueSoonObserved", source_event_id=event.event_id, at=event.timestamp_us,
                     schedule=self._new([self.step(
                         "send due reminder", FORWARD, "Member", self.member_id, "remind",
                         {"loan_id": self.loan_id, "title": self.book_title,
                          "due_on": self.due_on}, event)]))

    def _overdue(self, event: Observed) -> None:
        self._record("OverdueObserved", source_event_id=event.event_id, at=event.timestamp_us,
                     days_late=event.data["days_late"],
                     schedule=self._new([self._fine("overdue", OVERDUE_FINE, event)]))

    def _fined(self, event: Observed) -> None:
        unpaid = event.data["unpaid_fines"]
        schedule = []
        if unpaid >= SUSPEND_AT_UNPAID_FINES:
            schedule = self._new([self.step(
                "suspend member", FORWARD, "Member", self.member_id, "suspend",
                {"reason": f"{unpaid} unpaid fines ({event.data['outstanding']:.2f})"}, event)])
        self._record("FineObserved", source_event_id=event.event_id, at=event.timestamp_us,
                     unpaid_fines=unpaid, schedule=schedule,
                     outcomes=self._done(FINE_STEPS[event.data["kind"]], event))

    def _returned(self, event: Observed) -> None:
        self._record("ReturnObserved", source_event_id=event.event_id, at=event.timestamp_us,
                     late=event.data.get("late", False),
                     schedule=self._new([self._close("returned", event)]))

    def _lost(self, event: Observed) -> None:
        steps = [self._close("lost", event)]
        if self.replacement_cost > 0:
            steps.insert(0, self._fine("lost", self.replacement_cost, event))
        self._record("LossObserved", source_event_id=event.event_id, at=event.timestamp_us,
                     schedule=self._new(steps))

    def _closed(self, event: Observed) -> None:
        self._record("LoanClosedConfirmed", source_event_id=event.event_id,
                     at=event.timestamp_us, outcome=event.data["outcome"],
                     outcomes=self._done("close loan", event), status="completed")

    def _withdrawn(self, event: Observed) -> None:
        if "withdraw request" in self.steps:  # ours, or someone's that did what ours was for
            self._record("WithdrawalConfirmed", source_event_id=event.event_id,
                         at=event.timestamp_us, outcomes=self._done("withdraw request", event),
                         status="compensated")
            return
        if self.status == "compensated":
            return
        reason = f"withdrawn by {self._issuer(event)}: {event.data.get('reason', '')}"
        schedule = self._new([self._take_back(event, reason)]) if self.lent else []
        self._record("WithdrawalObserved", source_event_id=event.event_id, at=event.timestamp_us,
                     reason=reason, schedule=schedule,
                     status="compensating" if schedule else "compensated")

    def _taken_back(self, event: Observed) -> None:
        self._record("BookTakenBack", source_event_id=event.event_id, at=event.timestamp_us,
                     outcomes=self._done("take book back", event), status="compensated")

    def rejected(self, step: str, reason: str, at: int) -> None:
        """A step's command was refused: lending refused is compensated; any other refusal
        leaves the saga failed."""
        info = self.steps.get(step)
        if info is None or info["status"] != "scheduled":
            return
        outcome = [{"step": step, "status": "rejected", "at": at, "reason": reason}]
        source = _Refused(f"{self.id}/rejected/{step}", at)
        if info["kind"] == FORWARD and self.status in ("compensating", "compensated"):
            # Expected: the loan was being undone anyway (lending a withdrawn loan's book).
            self._record("StepRejected", source_event_id=source.event_id, at=at, step=step,
                         outcomes=outcome)
            return
        if step == "lend book":
            self._record("StepRejected", source_event_id=source.event_id, at=at, step=step,
                         outcomes=outcome, status="compensating", reason=reason,
                         schedule=self._new([self.step(
                             "withdraw request", COMPENSATION, "Member", self.member_id,
                             "withdraw_loan", {"loan_id": self.loan_id, "reason": reason},
                             source)]))
            return
        self._record("StepRejected", source_event_id=source.event_id, at=at, step=step,
                     outcomes=outcome, status="failed", reason=f"{step} was refused: {reason}")

    # -- helpers ---------------------------------------------------------------------------

    def _fine(self, kind: str, amount: float, event: Observed) -> dict[str, Any]:
        return self.step(FINE_STEPS[kind], FORWARD, "Member", self.member_id, "charge_fine",
                         {"loan_id": self.loan_id, "kind": kind, "amount": amount}, event)

    def _close(self, outcome: str, event: Observed) -> dict[str, Any]:
        return self.step("close loan", FORWARD, "Member", self.member_id, "close_loan",
                         {"loan_id": self.loan_id, "outcome": outcome}, event)

    def _take_back(self, event: Observed, reason: str | None = None) -> dict[str, Any]:
        return self.step("take book back", COMPENSATION, "Book", self.book_id, "return_book",
                         {"loan_id": self.loan_id,
                          "note": reason or self.reason or "the loan was withdrawn"}, event)

    def _new(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Only steps not scheduled before: each step of a saga runs at most once."""
        return [step for step in steps if step["step"] not in self.steps]

    def _done(self, step: str, event: Observed) -> list[dict[str, Any]]:
        """The outcome of one of our steps that this event tells of (none if it is not ours
        or already known)."""
        info = self.steps.get(step)
        if info is None or info["status"] != "scheduled":
            return []
        return [{"step": step, "status": "done", "event_id": event.event_id,
                 "at": event.timestamp_us}]

    @staticmethod
    def _issuer(event: Observed) -> str:
        return (getattr(event, "metadata", None) or {}).get("issued_by") or "someone else"

    # -- applying its own events -----------------------------------------------------------

    @applies("LendingStarted")
    def _started(self, data: dict[str, Any]) -> None:
        """A member asked for a book: the saga began and asked for it to be lent."""
        self.loan_id = data["loan_id"]
        self.member_id = data["member_id"]
        self.book_id = data["book_id"]
        self.due_on = data["due_on"]
        self.correlation_id = data.get("correlation_id")
        self.apply_saga_event(data)

    @applies("BookLentConfirmed")
    def _lent_confirmed(self, data: dict[str, Any]) -> None:
        """The book went out to the member."""
        self.lent = True
        self.book_title = data["title"]
        self.replacement_cost = data["replacement_cost"]
        self.apply_saga_event(data)

    @applies("DueSoonObserved")
    def _due_soon_observed(self, data: dict[str, Any]) -> None:
        """The book is due back soon: a reminder is to be sent."""
        self.apply_saga_event(data)

    @applies("OverdueObserved")
    def _overdue_observed(self, data: dict[str, Any]) -> None:
        """The book is overdue: a fine is to be charged."""
        self.apply_saga_event(data)

    @applies("FineObserved")
    def _fine_observed(self, data: dict[str, Any]) -> None:
        """The member was fined; at three unpaid fines they are to be suspended."""
        self.apply_saga_event(data)

    @applies("ReturnObserved")
    def _return_observed(self, data: dict[str, Any]) -> None:
        """The book came back: the loan is to be closed."""
        self.lent = False
        self.apply_saga_event(data)

    @applies("LossObserved")
    def _loss_observed(self, data: dict[str, Any]) -> None:
        """The book was lost: the replacement fee is to be charged and the loan closed."""
        self.lent = False
        self.apply_saga_event(data)

    @applies("LoanClosedConfirmed")
    def _closed_confirmed(self, data: dict[str, Any]) -> None:
        """The loan is closed. Done."""
        self.apply_saga_event(data)

    @applies("WithdrawalConfirmed")
    def _withdrawal_confirmed(self, data: dict[str, Any]) -> None:
        """The saga's own withdrawal of the request went through. Compensated."""
        self.apply_saga_event(data)

    @applies("WithdrawalObserved")
    def _withdrawal_observed(self, data: dict[str, Any]) -> None:
        """Someone withdrew the request: the book is to be taken back if it was lent."""
        self.apply_saga_event(data)

    @applies("BookTakenBack")
    def _book_taken_back(self, data: dict[str, Any]) -> None:
        """The book of a withdrawn loan is back on the shelf. Compensated."""
        self.lent = False
        self.apply_saga_event(data)

    @applies("StepRejected")
    def _step_rejected(self, data: dict[str, Any]) -> None:
        """A step's command was refused by a business rule."""
        self.apply_saga_event(data)


class _Refused:
    """An observed-event stand-in for what the saga records when a step is refused."""

    def __init__(self, event_id: str, at: int) -> None:
        self.event_id = event_id
        self.event_type = "StepRejected"
        self.data: dict[str, Any] = {}
        self.timestamp_us = at
