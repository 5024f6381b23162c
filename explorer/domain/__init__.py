"""The domain kernel: aggregates, commands with schemas, loading, and the command service."""

from explorer.domain.aggregate import Aggregate, AlreadyDone, DomainError, applies
from explorer.domain.commands import (
    Command,
    CommandError,
    CommandValidationError,
    FieldProblem,
    UnknownCommandError,
)
from explorer.domain.model import DefinitionError, DomainModel
from explorer.domain.repository import LoadedAggregate, Repository
from explorer.domain.service import (
    CommandCodeError,
    CommandResult,
    CommandService,
    UnitOfWork,
    default_issuer,
)

__all__ = [
    "Aggregate", "AlreadyDone", "Command", "CommandCodeError", "CommandError", "CommandResult",
    "CommandService", "CommandValidationError", "DefinitionError", "DomainError", "DomainModel",
    "FieldProblem", "LoadedAggregate", "Repository", "UnitOfWork", "UnknownCommandError",
    "applies", "default_issuer",
]
