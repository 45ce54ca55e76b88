"""A block of a document generated from the code, between two markers: rewritten by the script
that makes it (`--write`), printed otherwise, and checked current by a test."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GeneratedBlock:
    doc: Path
    name: str  # the markers are <!-- name:start --> and <!-- name:end -->
    make: Callable[[], str]

    def rewritten(self, document: str) -> str:
        start, end = f"<!-- {self.name}:start -->", f"<!-- {self.name}:end -->"
        head, _, rest = document.partition(start)
        _, _, tail = rest.partition(end)
        return f"{head}{start}\n{self.make()}\n{end}{tail}"

    def current(self) -> bool:
        document = self.doc.read_text(encoding="utf-8")
        return self.rewritten(document) == document

    def main(self, argv: list[str] | None = None) -> None:
        if "--write" in (sys.argv if argv is None else argv):
            self.doc.write_text(self.rewritten(self.doc.read_text(encoding="utf-8")),
                                encoding="utf-8")
            print(f"written into {self.doc}")
        else:
            print(self.make())
