"""`Closable`: what owns a connection (a store, the read models, a runner) says once how to let
it go, in `close`; `with` then closes it at the end of the block, however the block ends."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self


class Closable(ABC):
    """A base for what must be closed: `with Thing(...) as thing:` closes it at the end."""

    __slots__ = ()

    @abstractmethod
    def close(self) -> None:
        """Let go of what it owns."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
