"""Payments: a charge through a (simulated) payment gateway that may fail, and refunds.

A card number is a secret: commands declare it so, events never hold it (an order keeps the last
four digits), and its masked form "•••• 0002" names the customer's card on file ending so, which
the gateway holds. That is what the fulfilment saga asks to charge, and what a command resent
from the console's history or played from a recording sends.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from pydantic import Field

from explorer.demo.catalogue import money
from explorer.domain import Aggregate, AlreadyDone, Command, DomainError, applies
from explorer.domain.commands import MASK, mask_secret, secret_field

TEST_CARDS = {
    "0002": "card declined",
    "9995": "insufficient funds",
    "0069": "card expired",
}
"""Card numbers ending like this always fail, as with real gateways' test cards."""

DEFAULT_CARD = "4242 4242 4242 4242"


CARD_NUMBER_PATTERN = r"^(?:[0-9 ]*|•••• ?)[0-9]{4}$"
"""A card number (digits, spaces allowed), or its masked form "•••• 0002"."""


def card_on_file(last4: str) -> str:
    """The card a customer keeps on file, known by its last four digits (all an order keeps of
    it): the simulated gateway's test card ending so, e.g. 4000 0000 0000 0002 (declined)."""
    return DEFAULT_CARD if last4 == "4242" else f"4000 0000 0000 {last4}"


def card_last4(card_number: str) -> str:
    """The last four digits of a card number, whole or masked."""
    return "".join(c for c in card_number if c.isdigit())[-4:]


def masked_card(last4: str) -> str:
    """The masked form that names the card on file ending `last4`: "•••• 0002"."""
    masked: str = mask_secret(last4, keep_last=4)
    return masked


def resolve_card(card_number: str) -> str:
    """The card to charge: the card on file for a masked number, else the number itself."""
    return card_on_file(card_last4(card_number)) if card_number.startswith(MASK) else card_number


RANDOM_FAILURES = ["card declined", "insufficient funds", "issuer unavailable",
                   "suspected fraud", "card expired"]


@dataclass(frozen=True, slots=True)
class GatewayDecision:
    approved: bool
    transaction_id: str = ""
    reason: str = ""


class PaymentGateway(Protocol):
    """Charges cards. `card_number` may be the masked form of a card on file ("•••• 0002"),
    which the gateway resolves: the store never holds a whole card number."""

    def charge(self, payment_id: str, amount: float, currency: str, method: str,
               card_number: str, attempt: int = 1) -> GatewayDecision: ...


class SimulatedPaymentGateway:
    """A payment gateway stand-in with a configurable latency and failure rate.

    Like a real gateway given an idempotency key, it decides each charge (a payment and its
    attempt) the same way every time it is asked: the decision comes from a hash of the key, so a
    charge retried after a crash is never a second, different charge. Test card numbers (see
    TEST_CARDS) always fail; `salt` varies which other charges fail.
    """

    def __init__(self, failure_rate: float = 0.0, latency_s: float = 0.0, salt: str = "") -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError(f"The failure rate {failure_rate} must be between 0 and 1.")
        if latency_s < 0:
            raise ValueError(f"The latency {latency_s} must not be negative.")
        self.failure_rate = failure_rate
        self.latency_s = latency_s
        self.salt = salt

    def charge(self, payment_id: str, amount: float, currency: str, method: str,
               card_number: str, attempt: int = 1) -> GatewayDecision:
        if self.latency_s:
            time.sleep(self.latency_s)  # the simulated network round trip
        digits = resolve_card(card_number).replace(" ", "")
        if method == "card" and digits[-4:] in TEST_CARDS:
            return GatewayDecision(False, reason=TEST_CARDS[digits[-4:]])
        key = f"{self.salt}/{payment_id}/{attempt}".encode()
        roll = int.from_bytes(hashlib.sha256(key).digest()[:8]) / 2**64
        if roll < self.failure_rate:
            reason = RANDOM_FAILURES[int(roll * 1e9) % len(RANDOM_FAILURES)]
            return GatewayDecision(False, reason=reason)
        return GatewayDecision(True, transaction_id=f"txn_{payment_id}_{attempt}")


class Payment(Aggregate):
    """A payment for one order: charged (maybe after failed attempts), then maybe refunded."""

    stream_type = "Payment"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.status = "new"
        self.order_id: str | None = None
        self.customer_id: str | None = None
        self.amount = 0.0
        self.currency = "USD"
        self.refunded = 0.0
        self.transaction_id: str | None = None
        self.failures = 0

    def charge(self, gateway: PaymentGateway, order_id: str, customer_id: str, amount: float,
               currency: str, method: str, card_number: str) -> None:
        if self.status in ("charged", "refunded"):
            raise DomainError(f"Cannot charge payment {self.id}: it is already {self.status} "
                              f"({self.amount:.2f} {self.currency}).")
        if self.order_id is not None and order_id != self.order_id:
            raise DomainError(f"Cannot charge payment {self.id} for order {order_id}: it is the "
                              f"payment of order {self.order_id}.")
        decision = gateway.charge(self.id, amount, currency, method, card_number,
                                  attempt=self.failures + 1)
        common = dict(payment_id=self.id, order_id=order_id, customer_id=customer_id,
                      amount=money(amount), currency=currency, method=method)
        if decision.approved:
            self._record("PaymentCharged", **common, transaction_id=decision.transaction_id)
        else:
            self._record("PaymentFailed", **common, reason=decision.reason,
                         attempt=self.failures + 1)

    def refund(self, amount: float | None, reason: str) -> None:
        if self.status not in ("charged", "refunded"):
            raise DomainError(f"Cannot refund payment {self.id}: nothing was charged.")
        left = money(self.amount - self.refunded)
        amount = left if amount is None else money(amount)
        if left <= 0:
            raise AlreadyDone(f"Cannot refund payment {self.id}: it is already fully refunded.")
        if amount > left:
            raise DomainError(f"Cannot refund {amount:.2f} of payment {self.id}: only {left:.2f} "
                              f"{self.currency} is left to refund.")
        self._record("PaymentRefunded", payment_id=self.id, order_id=self.order_id,
                     customer_id=self.customer_id, amount=amount, currency=self.currency,
                     reason=reason)

    @applies("PaymentCharged")
    def _charged(self, data: dict[str, Any]) -> None:
        """The gateway took the amount from the customer."""
        self._decided("charged", data)
        self.transaction_id = data["transaction_id"]

    @applies("PaymentFailed")
    def _failed(self, data: dict[str, Any]) -> None:
        """The gateway refused the charge, with its reason."""
        self._decided("failed", data)
        self.failures += 1

    def _decided(self, status: str, data: dict[str, Any]) -> None:
        """A charge the gateway decided, either way: for which order, whom and how much."""
        self.status = status
        self.order_id = data["order_id"]
        self.customer_id = data["customer_id"]
        self.amount = data["amount"]
        self.currency = data["currency"]

    @applies("PaymentRefunded")
    def _refunded(self, data: dict[str, Any]) -> None:
        """Some or all of a charged amount went back to the customer."""
        self.refunded = money(self.refunded + data["amount"])
        self.status = "refunded" if self.refunded >= self.amount else "charged"


class PaymentCommand(Command):
    stream_type: ClassVar[str] = "Payment"


class Charge(PaymentCommand):
    """Charge the customer for an order through the payment gateway."""

    command_name: ClassVar[str] = "charge"
    creates_stream: ClassVar[bool | None] = None
    order_id: str = Field(min_length=1, max_length=100, description="The order paid for")
    customer_id: str = Field(min_length=1, max_length=100, description="Who pays")
    amount: float = Field(gt=0, le=10_000_000, description="The amount to charge")
    currency: Literal["USD", "EUR", "GBP"] = Field("USD", description="The currency charged")
    method: Literal["card", "paypal", "bank_transfer"] = Field("card", description="How to pay")
    card_number: str = secret_field(
        DEFAULT_CARD, keep_last=4, max_length=23, pattern=r"^(?:[0-9 ]*|•••• ?[0-9]{4})$",
        description="Card number, or •••• and its last four digits for the card on file ending "
                    "so; ones ending 0002, 9995 or 0069 fail")

    def run(self, aggregate: Payment, context: Any) -> None:
        aggregate.charge(context.gateway, self.order_id, self.customer_id, self.amount,
                         self.currency, self.method, self.card_number)


class Refund(PaymentCommand):
    """Refund some or all of a charged payment."""

    command_name: ClassVar[str] = "refund"
    amount: float | None = Field(None, gt=0, le=10_000_000,
                                 description="How much to refund; all that is left when empty")
    reason: str = Field(min_length=1, max_length=200, description="Why it is refunded")


PAYMENT_COMMANDS: list[type[Command]] = [Charge, Refund]
