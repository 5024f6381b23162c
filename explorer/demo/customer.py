"""Customers: registered with an address, which they may change."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from explorer.domain import Aggregate, Command, DomainError, applies


class Address(BaseModel):
    """A postal address."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    street: str = Field(min_length=1, max_length=200, description="Street and number")
    city: str = Field(min_length=1, max_length=100, description="City or town")
    postal_code: str = Field(min_length=2, max_length=12, pattern=r"^[A-Za-z0-9 -]+$",
                             description="Postal or ZIP code")
    country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$",
                         description="ISO 3166 two-letter country code, e.g. US, DE, GB")


class Customer(Aggregate):
    """A customer of the shop."""

    stream_type = "Customer"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.name = ""
        self.email = ""
        self.address: dict[str, str] = {}

    def register(self, name: str, email: str, address: dict[str, str]) -> None:
        self._record("CustomerRegistered", customer_id=self.id, name=name, email=email,
                     address=address)

    def change_address(self, address: dict[str, str]) -> None:
        if address == self.address:
            raise DomainError(f"Customer {self.id} already has this address.")
        self._record("CustomerAddressChanged", customer_id=self.id, name=self.name,
                     previous_address=self.address, new_address=address)

    @applies("CustomerRegistered")
    def _registered(self, data: dict[str, Any]) -> None:
        """A new customer signed up."""
        self.name = data["name"]
        self.email = data["email"]
        self.address = data["address"]

    @applies("CustomerAddressChanged")
    def _address_changed(self, data: dict[str, Any]) -> None:
        """A customer moved: the previous and the new address."""
        self.address = data["new_address"]


class CustomerCommand(Command):
    stream_type: ClassVar[str] = "Customer"


class Register(CustomerCommand):
    """Register a new customer."""

    command_name: ClassVar[str] = "register"
    creates_stream: ClassVar[bool | None] = True
    name: str = Field(min_length=1, max_length=100, description="The customer's full name")
    email: str = Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                       description="E-mail address")
    address: Address

    def run(self, aggregate: Customer, context: Any) -> None:
        aggregate.register(self.name, self.email, self.address.model_dump())


class ChangeAddress(CustomerCommand):
    """Change a customer's address."""

    command_name: ClassVar[str] = "change_address"
    address: Address

    def run(self, aggregate: Customer, context: Any) -> None:
        aggregate.change_address(self.address.model_dump())


CUSTOMER_COMMANDS: list[type[Command]] = [Register, ChangeAddress]
