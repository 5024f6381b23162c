"""`Closable`: what owns a connection (a store, the read models, a runner) says once how to let
it go, in `close`; `with` then closes it at the end of the block, however the block ends."""

from __future__ import annotations

from typing import Self


class Closable:
    """A base for what must be closed: `with Thing(...) as thing:` closes it at the end."""

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not say how to close it")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
