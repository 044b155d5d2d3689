"""Type stubs of the native module crm._crm (hand-written; checked with `python -m mypy.stubtest crm._crm`)."""

import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, final

__all__ = [
    "Crm",
    "RecordIterator",
    "__version__",
    "CrmError",
    "ValidationError",
    "InvalidArgumentError",
    "NotFoundError",
    "ConflictError",
    "StorageError",
]

__version__: str

from crm.types import (
    AutoNumber,
    FieldInfo,
    GroupInfo,
    HistoryEntry,
    InputValue,
    OrderBy,
    Page,
    Record,
    RecordId,
    StageDuration,
    StageEntry,
    UserInfo,
    Where,
)
from crm.types import ErrorDetails

class CrmError(Exception):
    """Base class of every crm error. `code` is a stable machine-readable reason."""

    code: str

class ValidationError(CrmError, ValueError):
    """A record did not pass validation; `errors` lists every problem."""

    errors: list[ErrorDetails]

class InvalidArgumentError(CrmError, ValueError):
    """The request is malformed: unknown module or field, an operator that does not fit, a bad option."""

class NotFoundError(CrmError, LookupError):
    """The record, user, module or other named thing does not exist."""

class ConflictError(CrmError):
    """The change conflicts with the stored state."""

class StorageError(CrmError):
    """The storage backend failed: corrupt or foreign file, busy database, newer layout."""

@final
class RecordIterator:
    """Lazy iterator over records, returned by `Crm.iter`."""

    def __iter__(self) -> RecordIterator: ...
    def __next__(self) -> Record: ...

@final
class Crm:
    """A crm database: an SQLite file (created if missing) or ":memory:". Safe to share between threads."""

    def __new__(cls, path: str | os.PathLike[str] | None = None, user: str | None = None) -> Crm: ...
    @property
    def path(self) -> str: ...
    @property
    def user(self) -> str | None: ...
    @property
    def closed(self) -> bool: ...
    def set_user(self, user_name: str) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Crm: ...
    def __exit__(
        self,
        _exc_type: type[BaseException] | None = None,
        _exc_value: BaseException | None = None,
        _traceback: TracebackType | None = None,
    ) -> bool: ...
    # users and groups
    def add_user(
        self, user_name: str, *, full_name: str | None = None, email: str | None = None, role: str | None = None
    ) -> UserInfo: ...
    def add_group(self, name: str, members: Sequence[str] = ...) -> GroupInfo: ...
    def users(self) -> list[UserInfo]: ...
    def groups(self) -> list[GroupInfo]: ...
    # schema
    def modules(self) -> list[str]: ...
    def fields(self, module: str) -> list[FieldInfo]: ...
    def picklist_values(self, field: str | tuple[str, str]) -> list[str]: ...
    # settings
    def auto_number(self, module: str) -> AutoNumber: ...
    def set_auto_number(self, module: str, prefix: str, next: str) -> None: ...
    def set_stage_probability_autofill(self, on: bool) -> None: ...
    # records
    def create(self, module: str, fields: Mapping[str, InputValue]) -> Record: ...
    def quick_create(self, module: str, fields: Mapping[str, InputValue]) -> Record: ...
    def get(self, id: RecordId) -> Record: ...
    def update(self, id: RecordId, fields: Mapping[str, InputValue], *, version: int | None = None) -> Record: ...
    def delete(self, id: RecordId) -> None: ...
    def restore(self, id: RecordId) -> Record: ...
    def purge(self, id: RecordId) -> None: ...
    def find(
        self,
        module: str,
        where: Where = None,
        *,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int = 0,
        deleted: bool = False,
    ) -> list[Record]: ...
    def count(self, module: str, where: Where = None, *, deleted: bool = False) -> int: ...
    def iter(
        self, module: str, where: Where = None, *, order_by: OrderBy = None, batch: int = 1000, deleted: bool = False
    ) -> RecordIterator: ...
    def page(
        self,
        module: str,
        where: Where = None,
        *,
        page: int = 1,
        page_size: int = 50,
        order_by: OrderBy = None,
        deleted: bool = False,
    ) -> Page: ...
    def aggregate(
        self,
        module: str,
        group_by: str | None = None,
        sums: Sequence[str] = ...,
        where: Where = None,
        *,
        deleted: bool = False,
    ) -> list[dict[str, Any]]: ...
    def history(self, id: RecordId) -> list[HistoryEntry]: ...
    def stage_history(self, id: RecordId) -> list[StageEntry]: ...
    def stage_durations(self, id: RecordId) -> list[StageDuration]: ...
