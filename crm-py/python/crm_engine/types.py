"""Types of the values crm returns and accepts, for type checkers and readers.

Records are plain ``dict[str, Any]`` in crm-core's wire shape, the same as the C API's JSON: ``id``,
``module``, ``label``, ``version`` (for ``update(..., version=...)``), ``deleted`` (True in the recycle
bin), then every field of the module in layout order (None when empty). The TypedDicts describe the
other dicts (users, fields, history rows).
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, NotRequired, Protocol, TypedDict

# A field value as returned in records: text, exact decimals, dates, checkboxes, multi-select lists,
# reference / owner ids, or None when empty.
FieldValue = str | int | bool | decimal.Decimal | datetime.date | datetime.datetime | datetime.time | list[str] | None
# What create/update/conditions accept: the same types, text that parses, floats, a record dict for a reference.
InputValue = FieldValue | float | tuple[str, ...] | set[str] | Mapping[str, Any]
Record = dict[str, Any]
Condition = tuple[str, str] | tuple[str, str, Any] | Mapping[str, Any]
Where = Sequence[Condition] | Condition | Mapping[str, Any] | None
OrderBy = str | Sequence[str] | None


class BinaryReader(Protocol):
    """A binary file-like object to import from (anything with ``read`` returning bytes)."""

    def read(self, size: int = ..., /) -> bytes: ...


class Writer(Protocol):
    """A file-like object to export to: binary streams get bytes, text streams (``io.TextIOBase``) str."""

    def write(self, data: Any, /) -> Any: ...


Progress = Callable[[int, int | None], object] | bool | None
"""``progress=``: a callable receiving ``(done, total)`` (``total`` None when unknown; return False to
stop), True for a tqdm bar, or None."""

RecordsData = Iterable[Mapping[str, Any]] | Any
"""``import_records`` data: an iterable of dicts, a pandas or polars DataFrame, a pyarrow Table."""
RecordId = int | Mapping[str, Any]


class ErrorDetails(TypedDict):
    field: str
    code: str
    message: str


class UserInfo(TypedDict):
    id: int
    user_name: str
    full_name: str
    email: str
    role: str | None
    active: bool


class CurrencyInfo(TypedDict):
    """A currency of the store: ISO code, name, symbol, active flag, decimal places and rounding mode."""

    code: str
    name: str
    symbol: str
    active: bool
    decimals: int
    rounding: Literal["half_up", "half_even", "down"]


class CurrencyRate(TypedDict):
    """Units of `code` per one base unit, valid from `valid_from` (None: since always) until the next rate."""

    code: str
    rate: decimal.Decimal
    valid_from: datetime.date | None


class CurrencyChange(TypedDict):
    """One logged currency edit."""

    at: datetime.datetime
    actor: str
    code: str
    what: str
    valid_from: datetime.date | None
    before: decimal.Decimal | None
    after: decimal.Decimal | None


class AutoNumber(TypedDict):
    prefix: str
    next: str


class GroupInfo(TypedDict):
    id: int
    name: str
    members: list[int]


FieldInfo = TypedDict(
    "FieldInfo",
    {
        "name": str,
        "label": str,
        "type": str,
        "block": str,
        "sequence": int,
        "mandatory": bool,
        "quick_create": bool,
        "presence": Literal["always_shown", "shown", "hidden"],
        "default": str | None,
        "max_length": int | None,
        "precision": int | None,
        "scale": int | None,
        "mass_editable": bool,
        "custom": bool,
        "read_only": bool,
        "references": list[str],
        "picklist": str | None,
        "uitype": int,
    },
)


class FieldChange(TypedDict):
    field: str
    before: str | None
    after: str | None


class HistoryEntry(TypedDict):
    id: int
    record: int
    module: str
    actor: str
    at: datetime.datetime
    kind: Literal["created", "updated", "deleted", "restored", "linked", "unlinked", "commented", "purged", "schema_changed", "merged", "unmerged"]
    related: int | None
    changes: list[FieldChange]


class ChangeEvent(TypedDict):
    """One committed change from `Crm.changes` / `Crm.watch`: its position in the store's feed, the record
    (None for a schema edit), module, kind, who, when, the other record of a link, and the changed fields."""

    position: int
    record: int | None
    module: str
    kind: str
    actor: str
    at: datetime.datetime
    related: int | None
    changes: list[FieldChange]


class StageEntry(TypedDict):
    record: int
    stage: str | None
    amount: decimal.Decimal | None
    probability: decimal.Decimal | None
    forecast_amount: decimal.Decimal | None
    closingdate: datetime.date | None
    at: datetime.datetime
    actor: str


class StageDuration(TypedDict):
    stage: str
    entered: datetime.datetime
    left: datetime.datetime | None
    seconds: int


class Page(TypedDict):
    records: list[Record]
    total: int
    page: int
    page_size: int


class BlockInfo(TypedDict):
    name: str
    label: str
    sequence: int
    custom: bool


class IndexInfo(TypedDict):
    name: str
    fields: list[str]


class DuplicateRule(TypedDict):
    """A duplicate-prevention rule: fields whose normalised values must be unique among live records."""

    name: str
    fields: list[str]


class DuplicateGroup(TypedDict):
    """Live records whose values match: the matching key and the ids, lowest first."""

    key: str
    ids: list[int]


class DuplicatePage(TypedDict):
    """One page of duplicate groups; ``next`` is the ``after`` of the next page (None on the last)."""

    groups: list[DuplicateGroup]
    next: str | None


class MergeReport(TypedDict):
    """What a merge did: the kept and merged ids, changed fields, repointed references, moved links and comments."""

    kept: int
    merged: list[int]
    fields: list[str]
    references: int
    links: int
    comments: int


class StageInfo(TypedDict):
    value: str
    kind: Literal["open", "won", "lost"] | None
    probability: decimal.Decimal | None
    editable: bool


class CurrencySubtotal(TypedDict):
    """The count and sums of one currency inside a forecast row, in that currency."""

    currency: str
    count: int
    amount: decimal.Decimal
    forecast_amount: decimal.Decimal


class ForecastRow(TypedDict):
    key: str
    count: int
    amount: decimal.Decimal
    forecast_amount: decimal.Decimal
    currency: NotRequired[str]
    subtotals: NotRequired[list[CurrencySubtotal]]
    label: str


class ListPage(TypedDict):
    filter: dict[str, Any]
    records: list[Record]
    total: int
    page: int
    page_size: int


class Link(TypedDict):
    record: int
    related: int
    module: str
    role: str | None
    quantity: decimal.Decimal | None
    price: decimal.Decimal | None
    at: datetime.datetime


class Comment(TypedDict):
    id: int
    record: int
    parent: int | None
    author: str
    at: datetime.datetime
    text: str


class MassFailure(TypedDict):
    id: int
    code: str
    message: str
    errors: list[ErrorDetails]


class MassResult(TypedDict):
    succeeded: list[int]
    failed: list[MassFailure]


Converted = TypedDict(
    "Converted",
    {"Accounts": int | None, "Contacts": int | None, "Potentials": int | None, "account_reused": bool},
)


class ImportProblem(TypedDict):
    line: int
    column: str | None
    field: str | None
    code: str
    message: str
