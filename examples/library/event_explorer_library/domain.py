"""The library's domain: members and books, their commands, and the lending saga's stream."""

from __future__ import annotations

from event_explorer_library.books import BOOK_COMMANDS, Book
from event_explorer_library.lending import Lending
from event_explorer_library.members import MEMBER_COMMANDS, Member
from explorer.domain import DomainModel

LIBRARY_DOMAIN = DomainModel("library", aggregates=[Member, Book, Lending],
                             commands=[*MEMBER_COMMANDS, *BOOK_COMMANDS])
