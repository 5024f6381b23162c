"""The library as a system the explorer can load: registered in this package's pyproject.toml as
the entry point `library` in the group `event_explorer.systems`."""

from __future__ import annotations

from importlib.resources import files

from event_explorer_library.domain import LIBRARY_DOMAIN
from event_explorer_library.lending import Lending
from event_explorer_library.projections import library_projections
from event_explorer_library.seed import LibrarySeeder
from explorer.system import System

SYSTEM = System(
    name="library",
    title="Lending library",
    description="Members and books, with a lending saga that lends, reminds, fines and closes "
                "each loan, suspends members with three unpaid fines, and withdraws a request "
                "whose book cannot be lent.",
    domain=LIBRARY_DOMAIN,
    projections=library_projections,
    sagas=(Lending,),
    id_prefixes={"Member": "member", "Book": "book"},
    seeder=LibrarySeeder(),
    scripts=files("event_explorer_library").joinpath("scripts"),
)
