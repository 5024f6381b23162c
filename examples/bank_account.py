"""Bank accounts: a whole system for Event Explorer in one file, to copy and make your own.

An aggregate (Account) with its events, three commands, a read model (balances) and a seeder
that fills a store with some history. Point the explorer at it by module path:

    PYTHONPATH=examples python -m explorer seed bank.evstore --system bank_account:SYSTEM
    PYTHONPATH=examples python main.py bank.evstore --system bank_account:SYSTEM
"""

from __future__ import annotations

import contextlib
import random
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import Field

from explorer.domain import Aggregate, Command, CommandService, DomainError, DomainModel, applies
from explorer.projections import Projection, Writes, versioned_table
from explorer.store import EventStore, RecordedEvent
from explorer.system import System


class Account(Aggregate):
    """A bank account: opened for someone; money paid in and taken out, never below zero."""

    stream_type = "Account"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.owner = ""
        self.balance = 0.0

    def open(self, owner: str) -> None:
        self._record("AccountOpened", account_id=self.id, owner=owner)

    def deposit(self, amount: float) -> None:
        self._record("MoneyDeposited", account_id=self.id, amount=amount,
                     balance=round(self.balance + amount, 2))

    def withdraw(self, amount: float) -> None:
        if amount > self.balance:
            raise DomainError(f"Cannot withdraw {amount:.2f} from {self.id}: its balance is "
                              f"{self.balance:.2f}.")
        self._record("MoneyWithdrawn", account_id=self.id, amount=amount,
                     balance=round(self.balance - amount, 2))

    @applies("AccountOpened")
    def _opened(self, data: dict[str, Any]) -> None:
        """An account was opened for someone."""
        self.owner = data["owner"]

    @applies("MoneyDeposited")
    def _deposited(self, data: dict[str, Any]) -> None:
        """Money was paid in."""
        self.balance = data["balance"]

    @applies("MoneyWithdrawn")
    def _withdrawn(self, data: dict[str, Any]) -> None:
        """Money was taken out."""
        self.balance = data["balance"]


class OpenAccount(Command):
    """Open an account for someone."""

    stream_type: ClassVar[str] = "Account"
    command_name: ClassVar[str] = "open"
    creates_stream: ClassVar[bool | None] = True
    owner: str = Field(min_length=1, max_length=100, description="Whose account it is")


class Deposit(Command):
    """Pay money in."""

    stream_type: ClassVar[str] = "Account"
    command_name: ClassVar[str] = "deposit"
    amount: float = Field(gt=0, le=1_000_000, description="How much")


class Withdraw(Command):
    """Take money out (never more than the balance)."""

    stream_type: ClassVar[str] = "Account"
    command_name: ClassVar[str] = "withdraw"
    amount: float = Field(gt=0, le=1_000_000, description="How much")


metadata = sa.MetaData()
balances = versioned_table("balances", metadata, [sa.Column("account_id", sa.Text)], [
    sa.Column("owner", sa.Text), sa.Column("balance", sa.Float),
    sa.Column("movements", sa.Integer)])


class BalancesProjection(Projection):
    name = "balances"
    title = "Balances"
    description = "Each account's owner, balance and number of movements."
    event_types = frozenset({"AccountOpened", "MoneyDeposited", "MoneyWithdrawn"})
    tables = (balances,)

    def handle(self, event: RecordedEvent, writes: Writes) -> None:
        key = (event.stream_id,)
        if event.event_type == "AccountOpened":
            writes.put("balances", key, owner=event.data["owner"], balance=0.0, movements=0)
            return
        row = writes.get("balances", *key)
        writes.put("balances", key, owner=row["owner"], balance=event.data["balance"],
                   movements=row["movements"] + 1)


class BankSeeder:
    """Accounts opened, with a few deposits and withdrawals each (`seed --accounts N`)."""

    size_name = "accounts"
    size_help = "how many accounts to open"
    default_size = 50
    max_size = 100_000

    def seed(self, store: EventStore, *, size: int, seed: int, days: int, recent: bool,
             progress: Any = None, should_stop: Any = None) -> dict[str, Any]:
        rng = random.Random(seed)
        service = CommandService(store, BANK, issued_by="seed:bank")
        for number in range(1, size + 1):
            account = f"acct_{number:04d}"
            service.execute("Account", account, "open", {"owner": f"Customer {number}"})
            for _ in range(rng.randrange(1, 8)):
                command = rng.choice(("deposit", "deposit", "withdraw"))
                # more than the balance: refused, and nothing is stored
                with contextlib.suppress(DomainError):
                    service.execute("Account", account, command,
                                    {"amount": float(rng.randrange(5, 500))})
        return {"accounts": size, "events": store.last_position()}


BANK = DomainModel("bank", aggregates=[Account], commands=[OpenAccount, Deposit, Withdraw])

SYSTEM = System(
    name="bank",
    title="Bank accounts",
    description="Accounts opened, money paid in and taken out; a balance per account.",
    domain=BANK,
    projections=lambda: [BalancesProjection()],
    id_prefixes={"Account": "acct"},
    seeder=BankSeeder(),
)
