"""Type stubs of the native module crm_engine._crm (hand-written; checked with `python -m mypy.stubtest crm_engine._crm`)."""

import datetime
import decimal
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, final

__all__ = [
    "Crm",
    "ImportReport",
    "RecordIterator",
    "ChangeWatch",
    "__version__",
    "CrmError",
    "ValidationError",
    "InvalidArgumentError",
    "NotFoundError",
    "ConflictError",
    "SchemaError",
    "StorageError",
    "FeedPositionExpiredError",
    "AccessDeniedError",
    "Transaction",
    "ArrowStream",
    "run_cli",
]

__version__: str

from crm_engine.types import (
    AutoNumber,
    BlockInfo,
    ChangeEvent,
    IndexInfo,
    DuplicatePage,
    DuplicateRule,
    MergeReport,
    Comment,
    Converted,
    CurrencyChange,
    CurrencyInfo,
    CurrencyRate,
    ForecastRow,
    ImportProblem,
    Link,
    ListPage,
    MassResult,
    StageInfo,
    FieldInfo,
    FieldValue,
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
from crm_engine.types import BinaryReader, ErrorDetails, Progress, RecordsData, Writer

def run_cli(argv: Sequence[str]) -> int:
    """Runs the ``crm`` command line (the same code as the ``crm`` binary) with ``argv``, without the
    program name, writing to the process's stdout and stderr; returns the exit code (0 success, 1 error,
    2 usage error). ``python -m crm_engine`` calls it."""

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

class SchemaError(CrmError, ValueError):
    """A field, block or picklist edit was refused; nothing changed."""

class AccessDeniedError(CrmError, PermissionError):
    """The acting user may not do this (profile or sharing): `action`, `module`, and `field` or `record`
    name what was refused."""

    action: str
    module: str
    field: str | None
    record: int | None

class StorageError(CrmError):
    """The storage backend failed: corrupt or foreign file, busy database, newer layout."""

class FeedPositionExpiredError(CrmError):
    """The change feed no longer holds the changes after the position asked for (the change log was trimmed past it): resynchronise."""

@final
class ImportReport:
    """The result of an import."""

    @property
    def import_id(self) -> int:
        """The import's id, for `undo_import` (0 for a dry run)."""
    @property
    def dry_run(self) -> bool:
        """True when nothing was written."""
    @property
    def rows(self) -> int:
        """Data rows read."""
    @property
    def created(self) -> int:
        """Records created."""
    @property
    def updated(self) -> int:
        """Records overwritten."""
    @property
    def merged(self) -> int:
        """Records merged."""
    @property
    def skipped(self) -> int:
        """Rows skipped (empty, or duplicates with `duplicates="skip"`)."""
    @property
    def failed(self) -> int:
        """Rows that failed."""
    @property
    def references_created(self) -> int:
        """Referenced records created on the way."""
    @property
    def picklist_values_added(self) -> list[str]:
        """Picklist values added on the way (`"field: value"`)."""
    @property
    def mapping(self) -> list[tuple[str, str | None]]:
        """Column → field used (None for an ignored column)."""
    @property
    def interrupted(self) -> bool:
        """True when the import was stopped between batches (progress returned False): the rows counted
        are committed; `resume_import_csv` / `resume_import_records` or `undo_import` it."""
    @property
    def warnings(self) -> list[str]:
        """File-level notes (ignored columns, ...)."""
    @property
    def errors(self) -> list[ImportProblem]:
        """The problems of the failed rows: dicts with line, column, field, code, message."""
    @property
    def row_reports(self) -> list[dict[str, Any]]:
        """Every reported row (failed and skipped ones; every row in a dry run): dicts with line, outcome,
        record, fields, problems."""

@final
class RecordIterator:
    """Lazy iterator over records, returned by `Crm.iter`."""

    def __iter__(self) -> RecordIterator: ...
    def __next__(self) -> Record: ...

@final
class ChangeWatch:
    """The iterator `Crm.watch` returns: every change after its start, waiting (polling) for new ones; never ends."""

    @property
    def position(self) -> int | None:
        """The position of the last event handed out (where a restarted consumer resumes), None before one."""
    def __iter__(self) -> ChangeWatch: ...
    def __next__(self) -> ChangeEvent: ...

@final
class Transaction:
    """A transaction as a context manager, returned by `Crm.transaction()`: begins on enter, commits on a
    clean exit, rolls every write back when the block raises (the exception goes on)."""

    def __enter__(self) -> Transaction:
        """Opens the transaction (ConflictError when one is already open on the handle)."""
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        _exc_value: BaseException | None = None,
        _traceback: TracebackType | None = None,
    ) -> bool:
        """Commits (no exception) or rolls back (an exception, which is not swallowed)."""

@final
class ArrowStream:
    """Record batches from crm, read once by any Arrow consumer through the Arrow PyCapsule interface
    (`__arrow_c_stream__`): `pyarrow.table(s)`, `polars.DataFrame(s)`, duckdb, or the methods below.
    Returned by `Crm.arrow` and `Crm.report_arrow`. Records are read a batch at a time as the consumer
    asks, as the acting user of the moment the stream was made. pyarrow, pandas and polars are optional:
    a method that needs a missing one raises ImportError naming it."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream protocol: a capsule named "arrow_array_stream" holding a
        `struct ArrowArrayStream`. A stream is read once: a second call raises InvalidArgumentError.
        `requested_schema` is accepted and ignored (the columns have crm's types)."""
    def to_arrow(self) -> Any:
        """Reads the stream into a `pyarrow.Table` (needs pyarrow)."""
    def to_pandas(self) -> Any:
        """Reads the stream into a `pandas.DataFrame` through pyarrow (needs pandas and pyarrow): decimals
        as `decimal.Decimal` objects, date-times `datetime64[us, UTC]`, dates `datetime.date`."""
    def to_polars(self) -> Any:
        """Reads the stream into a `polars.DataFrame` (needs polars only: it reads the capsule itself)."""

@final
class Crm:
    """A crm database: an SQLite file (created if missing), ":memory:", or a PostgreSQL database given by a
    `postgres://user:password@host:5432/dbname` URL (one database holds one CRM; add
    `?options=-csearch_path%3Dname` to keep it in schema `name`). Safe to share between threads."""

    def __new__(cls, path: str | os.PathLike[str] | None = None, user: str | None = None) -> Crm: ...
    @property
    def path(self) -> str:
        """The path given when opening (`":memory:"` for an in-memory store)."""
    @property
    def user(self) -> str | None:
        """The acting user's name, or None."""
    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
    def set_user(self, user_name: str) -> None:
        """Sets the acting user (named in history and `modifiedby`, default owner of new records)."""
    def close(self) -> None:
        """Closes the database. Every later call raises `CrmError`; closing twice is fine."""
    def __enter__(self) -> Crm: ...
    def __exit__(
        self,
        _exc_type: type[BaseException] | None = None,
        _exc_value: BaseException | None = None,
        _traceback: TracebackType | None = None,
    ) -> bool: ...
    # transactions
    def transaction(self) -> Transaction:
        """`with db.transaction(): ...`: every write inside commits together, or none when the block raises.
        On a SQLite file the transaction holds the write lock until it ends (other handles wait)."""
    def begin_transaction(self) -> None:
        """Opens a transaction by hand; end it with `commit_transaction()` or `rollback_transaction()`."""
    def commit_transaction(self) -> None:
        """Commits the open transaction (ConflictError when none is open)."""
    def rollback_transaction(self) -> None:
        """Rolls the open transaction back: none of its writes stay (ConflictError when none is open)."""
    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open on this handle."""
    # users and groups
    def add_user(
        self,
        user_name: str,
        *,
        full_name: str | None = None,
        email: str | None = None,
        role: str | None = None,
        is_admin: bool = False,
        language: str | None = None,
    ) -> UserInfo:
        """Registers a user; returns it as a dict. `language` (`"fa_ir"`, `"en_us"`; default: the store's) is
        the language labels, messages and exports are in while this user acts; `is_admin` makes them an
        administrator (every access right)."""
    def add_group(self, name: str, members: Sequence[str] = ...) -> GroupInfo:
        """Registers a group with members given by user name; returns it as a dict."""
    def users(self) -> list[UserInfo]:
        """Every registered user."""
    def user_info(self, user_name: str) -> UserInfo:
        """One user by user name (ignoring case)."""
    def owner(self, owner: int | str) -> dict[str, Any] | None:
        """An owner (a user or a group) by id (int) or by user name, full name or group name (str, ignoring
        case): `{"kind": "user", "id": 1, "user_name": ...}` or `{"kind": "group", "id": 3, "name": ...,
        "members": [...]}`; None when there is none."""
    def groups(self) -> list[GroupInfo]:
        """Every registered group."""
    # access control
    def as_user(self, user_name: str) -> Crm:
        """A cheap handle on the same store acting as `user_name` (same methods, that user's rights)."""
    def add_role(self, name: str, parent: str | None = None) -> dict[str, Any]:
        """Adds a role under `parent` (a root without); returns `{"name", "parent"}`."""
    def roles(self) -> list[dict[str, Any]]:
        """Every role, parents before children."""
    def move_role(self, name: str, parent: str | None = None) -> None:
        """Moves a role (with its subtree) under `parent`."""
    def delete_role(self, name: str, transfer_to: str) -> None:
        """Deletes a role; its users get `transfer_to`, its child roles move to its parent."""
    def add_profile(
        self,
        name: str,
        modules: Mapping[str, Mapping[str, bool]] | None = None,
        fields: Mapping[str, Mapping[str, Literal["editable", "read_only", "hidden"]]] | None = None,
    ) -> dict[str, Any]:
        """Creates or replaces a profile: module rights (view, create, edit, delete) and field access."""
    def profiles(self) -> list[dict[str, Any]]:
        """Every profile."""
    def set_role_profiles(self, role: str, profiles: Sequence[str]) -> None:
        """Sets the profiles of a role (the rights of its users are their union)."""
    def set_sharing(self, module: str, sharing: str) -> None:
        """Sets a module's sharing: private, public_read, public_read_write, public_read_write_delete."""
    def sharing(self, module: str) -> str:
        """A module's organisation-wide sharing."""
    def add_sharing_rule(
        self,
        module: str,
        *,
        owner_role: str | None = None,
        owner_group: str | None = None,
        owner_and_subordinates: bool = False,
        to_role: str | None = None,
        to_group: str | None = None,
        to_and_subordinates: bool = False,
        access: str | None = None,
    ) -> dict[str, Any]:
        """Shares records of `module` owned by a role or group with a role or group, read or read_write."""
    def sharing_rules(self) -> list[dict[str, Any]]:
        """Every sharing rule."""
    def delete_sharing_rule(self, id: int) -> None:
        """Deletes a sharing rule."""
    def set_user_role(self, user_name: str, role: str | None = None) -> None:
        """Sets a user's role."""
    def set_admin(self, user_name: str, admin: bool) -> None:
        """Makes a user an administrator or not."""
    def is_admin(self, user_name: str) -> bool:
        """Whether a user is an administrator."""
    def set_group_members(self, group: str, members: Sequence[str]) -> None:
        """Sets a group's members."""
    def access_changes(self) -> list[dict[str, Any]]:
        """The access change log, oldest first."""
    # schema
    def modules(self) -> list[str]:
        """The module names (`Potentials`, `Accounts`, ...)."""
    def fields(self, module: str) -> list[FieldInfo]:
        """The fields of a module (by name or label), in layout order, as dicts; labels in the acting user's
        language (theirs, else the store's: `set_language`)."""
    def picklist_values(self, field: str | tuple[str, str]) -> list[str]:
        """The values of a picklist, in display order. `field` is a field name (`"sales_stage"`), a picklist
        name, or a `(module, field)` pair."""
    # settings
    def auto_number(self, module: str) -> AutoNumber:
        """The prefix and next number of a module's auto-number (`{"prefix": "POT", "next": "1"}`)."""
    def set_auto_number(self, module: str, prefix: str, next: str) -> None:
        """Configures a module's auto-number. With an unchanged prefix the next number may not go below the
        current one (numbers are never reused)."""
    def set_stage_probability_autofill(self, on: bool) -> None:
        """Turns the stage → default probability rule on or off (stored with the database)."""
    # records
    def create(self, module: str, fields: Mapping[str, InputValue]) -> Record:
        """Creates a record of `module` from a dict of field values; returns the stored record."""
    def quick_create(self, module: str, fields: Mapping[str, InputValue]) -> Record:
        """Creates a record from the quick-create fields only (mandatory ones and those marked quick create)."""
    def get(self, id: RecordId) -> Record:
        """Reads a live record by id. A record in the recycle bin raises `crm.NotFoundError`, as in vtiger;
        read it with `get_deleted`."""
    def get_deleted(self, id: RecordId) -> Record:
        """Reads a record in the recycle bin by id (its `deleted` is True); a live record raises
        `crm.NotFoundError`. List the recycle bin with `find(..., deleted=True)`."""
    def update(self, id: RecordId, fields: Mapping[str, InputValue], *, version: int | None = None) -> Record:
        """Changes the given fields of a record; with `version`, refuses (ConflictError) unless the stored
        record is still at that version."""
    def delete(self, id: RecordId) -> None:
        """Moves a record to the recycle bin."""
    def restore(self, id: RecordId) -> Record:
        """Restores a record from the recycle bin; returns it."""
    def purge(self, id: RecordId) -> None:
        """Removes a record in the recycle bin for good."""
    def find(
        self,
        module: str,
        where: Where = None,
        *,
        filter: int | str | None = None,
        order_by: OrderBy = None,
        limit: int | None = None,
        offset: int = 0,
        deleted: bool = False,
    ) -> list[Record]:
        """The records of `module` that match `where`, as a list of dicts (ready for `pandas.DataFrame`).
        `filter` (a saved filter's id or name) adds the filter's conditions, and its order unless `order_by`
        is given. The records are read from the store one at a time (one consistent read) and turned into
        dicts; without `limit` the list holds every match at once: to go through a large result in bounded
        memory use `iter` (keyset-paged batches)."""
    def count(self, module: str, where: Where = None, *, filter: int | str | None = None, deleted: bool = False) -> int:
        """How many records of `module` match `where`."""
    def iter(
        self, module: str, where: Where = None, *, order_by: OrderBy = None, batch: int = 1000, deleted: bool = False
    ) -> RecordIterator:
        """Iterates lazily over the matching records, fetching `batch` records at a time: one engine call per
        batch, each seeking past the last record returned (keyset paging on the first sort key and the id,
        as `page_after`), so memory stays bounded by `batch` and every batch costs the same however far the
        iteration is. Without `order_by` the order is creation time (then id), so records updated, created
        or deleted while iterating never make it skip or repeat another. This is the streaming form of
        `find`, which returns every match at once in a list."""
    def arrow(
        self,
        module: str,
        where: Where = None,
        columns: Sequence[str] | None = None,
        order_by: OrderBy = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        deleted: bool = False,
        batch_size: int = 1024,
    ) -> ArrowStream:
        """The records of `module` matching `where` (as `find`) as an `ArrowStream`: columns `id`, `label`,
        `version`, then every field the acting user may see (or `columns`: field names or labels, and `id`,
        `label`, `version`), ordered by `order_by` (default: creation order), `batch_size` rows a batch read
        as the consumer asks. Types: money/decimal/percent `decimal128(precision, scale)` of the field, dates
        `date32`, date-times `timestamp[us, tz=UTC]`, times `time64[us]`, checkboxes `bool`, multi-selects
        `list<string>`, references, owners and integers `int64`, the rest `string`."""
    def to_arrow(
        self,
        module: str,
        where: Where = None,
        columns: Sequence[str] | None = None,
        order_by: OrderBy = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        deleted: bool = False,
        batch_size: int = 1024,
    ) -> Any:
        """`arrow(...)` read into a `pyarrow.Table` (needs pyarrow)."""
    def to_pandas(
        self,
        module: str,
        where: Where = None,
        columns: Sequence[str] | None = None,
        order_by: OrderBy = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        deleted: bool = False,
        batch_size: int = 1024,
    ) -> Any:
        """`arrow(...)` read into a `pandas.DataFrame` (needs pandas and pyarrow): money as exact
        `decimal.Decimal`, date-times `datetime64[us, UTC]`."""
    def to_polars(
        self,
        module: str,
        where: Where = None,
        columns: Sequence[str] | None = None,
        order_by: OrderBy = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        deleted: bool = False,
        batch_size: int = 1024,
    ) -> Any:
        """`arrow(...)` read into a `polars.DataFrame` (needs polars): money as `Decimal(precision, scale)`,
        date-times `Datetime("us", "UTC")`."""
    def report_arrow(self, report: str, **options: Any) -> ArrowStream:
        """A report as an `ArrowStream` of one batch (then `.to_arrow()`, `.to_pandas()`, `.to_polars()`):
        `"pipeline"` (options `by`, `where`, `as_of` (a date), `calendar`; columns `key`, `count`, `amount`,
        `forecast_amount`, `label`), `"aggregate"` (options `module` (default Potentials), `where`,
        `group_by`, `sums`; columns: the field grouped by with its type, `count`, one per sum), or any
        analytics call (`"forecast"`, `"win_rate"`, `"attainment"`, `"quotas"`, ... with their options as
        keywords, e.g. `period="2027-Q1"`, `by="owner"`). Counts are `int64`, money and ratios
        `decimal128(38, scale)`, text `string`."""
    def page(
        self,
        module: str,
        where: Where = None,
        *,
        page: int = 1,
        page_size: int = 50,
        order_by: OrderBy = None,
        deleted: bool = False,
    ) -> Page:
        """One page (1-based) of the matching records with the total count: `{"records": [...], "total": n,
        "page": p, "page_size": s}`."""
    def aggregate(
        self,
        module: str,
        group_by: str | None = None,
        sums: Sequence[str] = ...,
        where: Where = None,
        *,
        deleted: bool = False,
        currency: str | None = None,
    ) -> list[dict[str, Any]]:
        """Groups the matching records by `group_by` (or not at all) and sums decimal fields exactly. Returns
        one dict per group: `{group_by: key, "count": n, sum_field: Decimal, ...}`. Money fields sum in
        `currency` (default: the base currency), each record converted at its dated rate."""
    def history(self, id: RecordId, *, after: int | None = None, limit: int | None = None) -> list[HistoryEntry]:
        """The change log of a record, oldest first: all of it, or with `limit` one page of at most `limit`
        entries whose id is above `after` (keyset paging: pass the last entry's `id` for the next page; an
        empty list is the end). `limit` is 1..=10 000 (`limits::MAX_LOG_PAGE`)."""
    def stage_history(self, id: RecordId) -> list[StageEntry]:
        """The stage history of an opportunity (stage, amount, probability, forecast, close date after each
        change), oldest first."""
    # the change feed
    def changes(self, since: int | None = None, limit: int = 1000, modules: Sequence[str] | None = None) -> list[ChangeEvent]:
        """The committed changes after position `since` (None: from the oldest kept), oldest first: at most `limit`,
        only of `modules`. Pass the last event's `position` as the next `since`; an empty list means nothing newer.
        Raises FeedPositionExpiredError when the change log was trimmed past `since`."""
    def changes_position(self) -> int:
        """The current end of the feed: the position of the newest committed change (0 when there is none)."""
    def trim_changes(self, through: int) -> int:
        """Removes the change log up to and including position `through`; returns how many entries went."""
    def watch(
        self, since: int | None = None, poll_interval: float = 1.0, modules: Sequence[str] | None = None, limit: int = 1000
    ) -> ChangeWatch:
        """An endless iterator over the changes after `since`, sleeping `poll_interval` seconds (the interpreter
        released, Ctrl-C honoured) whenever it has caught up."""
    def stage_durations(self, id: RecordId) -> list[StageDuration]:
        """The periods an opportunity spent in each stage, up to now."""
    # schema customization
    def add_field(self, module: str, *, label: str, type: str, **options: Any) -> FieldInfo:
        """Adds a custom field and returns it. `type` is a field type name (`"text"`, `"currency"`,
        `"picklist"`, `"date"`, ...); options: `name`, `block`, `mandatory`, `quick_create`, `hidden`,
        `default`, `max_length`, `precision`, `scale`, `mass_editable`, `references` (modules), `values` (a
        new picklist's values) or `picklist` (share an existing one)."""
    def update_field(self, module: str, field: str, **changes: Any) -> FieldInfo:
        """Changes a field: `label`, `mandatory`, `quick_create`, `quick_create_sequence`, `presence`
        (`"shown"`/`"hidden"`), `default`, `clear_default`, `mass_editable`, `type` (lossless changes only),
        `max_length`, `precision` (may only grow). Returns the field."""
    def move_field(self, module: str, field: str, block: str, position: int | None = None) -> None:
        """Moves a field to a block (name or label) at a 1-based position (None: at the end)."""
    def reorder_fields(self, module: str, block: str, fields: Sequence[str]) -> None:
        """Reorders the fields of a block: the listed ones first, then the others as they were."""
    def delete_field(self, module: str, field: str) -> None:
        """Deletes a custom field and its values (refused with SchemaError for standard fields and fields a
        dependency, filter or workflow uses)."""
    def blocks(self, module: str) -> list[BlockInfo]:
        """The blocks of a module in layout order: dicts with name, label, sequence, custom."""
    def add_block(self, module: str, label: str) -> BlockInfo:
        """Adds a custom block at the end of the layout; returns it."""
    def rename_block(self, module: str, block: str, label: str) -> None:
        """Changes a block's label."""
    def reorder_blocks(self, module: str, blocks: Sequence[str]) -> None:
        """Reorders blocks (the listed ones first)."""
    def delete_block(self, module: str, block: str) -> None:
        """Deletes an empty custom block."""
    def add_index(self, module: str, fields: Sequence[str]) -> IndexInfo:
        """Declares a composite index of `module` over `fields` (1 to 4 names or labels, in index order);
        returns it. Part of the schema: stored, logged, seen by every handle; SQLite builds the real index."""
    def drop_index(self, module: str, fields: Sequence[str]) -> None:
        """Drops the declared index of `module` over exactly `fields` (names or labels, in index order)."""
    def indexes(self, module: str) -> list[IndexInfo]:
        """The declared indexes of `module`, in the order they were added."""
    def find_duplicates(self, module: str, fields: Sequence[str] | None = None, *, normalize: bool = True) -> list[list[int]]:
        """Every group of live records of `module` whose `fields` (default: the name field) all match after
        normalisation (case, spaces, punctuation, Persian/Arabic letters and digits, e-mail plus-tags) or
        exactly, as lists of ids, lowest first."""
    def duplicate_page(
        self,
        module: str,
        fields: Sequence[str] | None = None,
        *,
        normalize: bool = True,
        after: str | None = None,
        limit: int = 1000,
    ) -> DuplicatePage:
        """One page of duplicate groups ordered by key; pass `next` as `after` for the next page."""
    def merge(
        self,
        module: str,
        keep: RecordId,
        others: Sequence[RecordId],
        values: Mapping[str, InputValue] | None = None,
        *,
        version: int | None = None,
    ) -> MergeReport:
        """Merges `others` into `keep` in one transaction: `values` maps a field to a merged record's id
        (take its value) or to a value; references, links, comments, activities and history move to `keep`,
        the others go to the recycle bin. Restoring a merged record undoes its part."""
    def add_duplicate_rule(self, module: str, fields: Sequence[str]) -> DuplicateRule:
        """Refuses creates, updates and imports of `module` whose normalised `fields` match another live record."""
    def drop_duplicate_rule(self, module: str, fields: Sequence[str]) -> None:
        """Drops the duplicate-prevention rule over `fields` (any order)."""
    def duplicate_rules(self, module: str) -> list[DuplicateRule]:
        """The duplicate-prevention rules of `module`, in the order they were added."""
    def add_picklist_value(self, field: str | tuple[str, str], value: str) -> None:
        """Appends one value to a picklist field's list."""
    def add_picklist_values(self, field: str | tuple[str, str], values: Sequence[str]) -> None:
        """Appends values to a picklist field's list."""
    def reorder_picklist(self, field: str | tuple[str, str], values: Sequence[str]) -> None:
        """Reorders a picklist (the listed values first)."""
    def rename_picklist_value(self, field: str | tuple[str, str], old: str, new: str) -> None:
        """Renames a picklist value everywhere: stored records, defaults, filters, workflow conditions."""
    def delete_picklist_values(
        self, field: str | tuple[str, str], values: Sequence[str], replacement: str | None = None
    ) -> None:
        """Deletes picklist values; records holding them get `replacement` (required for a mandatory field)."""
    def set_picklist_value_roles(self, field: str | tuple[str, str], value: str, roles: Sequence[str]) -> None:
        """Limits a picklist value to some roles (an empty list: every role)."""
    def picklist_values_for_role(self, field: str | tuple[str, str], role: str) -> list[str]:
        """The values of a picklist field a user with `role` may choose."""
    def set_picklist_dependency(self, module: str, source: str, target: str, mapping: Mapping[str, Sequence[str]]) -> None:
        """Makes picklist `target` depend on `source`: `mapping` maps each source value to the target values
        allowed with it. An empty mapping removes the dependency."""
    def stages(self) -> list[StageInfo]:
        """The sales stages with their kind and default probability: `[{"value": "Prospecting", "kind": "open",
        "probability": Decimal("10"), "editable": True}, ...]`."""
    def set_stage_meta(self, value: str, kind: Literal["open", "won", "lost"], probability: decimal.Decimal | int | str) -> None:
        """Sets the kind (`"open"`, `"won"`, `"lost"`) and default probability (percent) of a sales stage."""
    def schema_changes(self, *, after: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The schema change log, oldest first: dicts with version, actor, at (ISO text) and change (the edit
        as applied, tagged by its kind). All of it, or with `limit` one page of at most `limit` changes
        whose version is above `after` (keyset paging: pass the last change's `version` for the next page;
        an empty list is the end). `limit` is 1..=10 000 (`limits::MAX_LOG_PAGE`)."""
    def refresh_schema(self) -> bool:
        """Reloads the schema when another handle changed it; True when it did."""
    def apply_schema_change(self, change: str | Mapping[str, Any]) -> dict[str, Any]:
        """Applies one raw schema edit (crm-core's `SchemaChange`, as a dict or JSON text tagged by its kind,
        as `schema_changes()` shows them) and returns its log entry. The named helpers (`add_field`, ...)
        are the usual way; this one replays or scripts any edit."""
    # workflows and outbox
    def add_workflow(self, definition: str | Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
        """Adds a workflow: a dict or JSON text in vtiger's shape (`workflowname`, `module_name`,
        `execution_condition`, `test` conditions JSON, `tasks`) or crm's typed shape (`module`, `name`,
        `trigger`, `condition`, `tasks`, as returned by `workflows()`). Returns the new id; given a list,
        adds all or none and returns the ids."""
    def workflows(self, module: str | None = None) -> list[dict[str, Any]]:
        """The workflows (of `module`, or of every module) in execution order, as dicts in crm's typed shape."""
    def get_workflow(self, id: int) -> dict[str, Any]:
        """One workflow as a dict."""
    def update_workflow(self, id: int, definition: str | Mapping[str, Any]) -> dict[str, Any]:
        """Replaces workflow `id` with a definition (either shape, one object); returns it."""
    def set_workflow_active(self, id: int, active: bool = True) -> None:
        """Turns a workflow on or off."""
    def delete_workflow(self, id: int) -> None:
        """Deletes a workflow with its queued tasks."""
    def dry_run(self, target: RecordId | str, changes: Mapping[str, InputValue] | None = None) -> dict[str, Any]:
        """Evaluates the workflows for a change without writing anything. `target` is a record (id or dict) to
        change with `changes`, or a module name for a new record. Returns `{"record": dict, "workflows":
        [trace, ...]}`, each trace with its tests and effects."""
    def run_workflow(self, id: int, record: RecordId) -> dict[str, Any]:
        """Runs one workflow on one record now (whatever its trigger); returns its trace."""
    def run_due(self, now: datetime.datetime | None = None) -> dict[str, Any]:
        """Runs the scheduled workflows and delayed tasks due at `now` (a datetime, naive = UTC; default: the
        current time). Returns `{"workflows", "records", "delayed_tasks", "mails"}` counts and `"failures"`:
        a list of dicts for the runs and tasks that failed (the others still ran)."""
    def unregistered_functions(self) -> list[tuple[int, str]]:
        """Custom functions that active workflows call but that are not registered on this handle, as
        `(workflow_id, name)` tuples sorted; such tasks are skipped at run time. Call it after registering
        the functions to find typos or missing registrations."""
    def queued_tasks(self) -> list[dict[str, Any]]:
        """Delayed tasks waiting in the queue, by due time."""
    def outbox(self) -> list[dict[str, Any]]:
        """Every outbox mail, oldest first: dicts with id, from, reply_to, to, cc, bcc, subject, body, record,
        workflow, status (`"queued"`, `"sent"`, `"failed"`), error, created, sent."""
    def outbox_page(self, status: str | None = None, after_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """A page of the outbox: at most `limit` mails with ids above `after_id` (0: from the start), oldest
        first, only those with `status` (`"queued"`, `"sent"`, `"failed"`; None: all). Mails carry
        `attempts` and `next_attempt` too. Pass the last id of a page as `after_id` for the next; an empty
        list is the end. Each page costs the same however large the outbox is. ValueError: unknown status."""
    def purge_outbox(self, before: datetime.datetime) -> int:
        """Retention: removes sent mail sent before `before` (a `datetime`; naive ones are UTC) and returns how
        many. Queued and failed mail stay."""
    def mark_sent(self, id: int) -> None:
        """Marks an outbox mail as sent."""
    def mark_failed(self, id: int, error: str) -> None:
        """Marks an outbox mail as failed with the error and counts the attempt: a delivery after the back-off
        (60 s, doubling per failure) tries it again, until 8 failures; then it stays failed for good."""
    def deliver_outbox(self, mailer: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
        """Hands every mail that is due (queued, or failed with its back-off passed; never mail given up on) to
        `mailer`, a callable taking the mail as a dict; an exception it raises marks that mail failed (with
        the message) and delivery goes on. Returns `{"sent", "failed", "given_up"}` (`given_up`: ids of the
        mails that failed for the last allowed time in this run). The mailer must not use a `Crm` (see the
        module notes: it raises CrmError "reentrant")."""
    def register_function(self, name: str, function: Callable[[Record], Mapping[str, InputValue] | None]) -> None:
        """Registers a Python callable for vtiger "invoke custom function" tasks named `name`. It is called
        with the record (a dict) while the engine runs the workflow, and returns a dict of fields to set (or
        None). An exception fails the save with its message. It must not use a `Crm`: that raises CrmError
        "reentrant" (the engine is busy with the save that runs the workflow)."""
    def set_time_zone(self, name: str) -> None:
        """Sets the store's time zone (IANA name): workflows count days and wall-clock times in it and "today"
        of filters and reports is its day; it is stored, so handles opened later use it."""
    def time_zone(self) -> str:
        """The workflow time zone's name."""
    def set_site_url(self, url: str) -> None:
        """Sets the base URL used by the `crmdetailviewurl` / `siteurl` mail placeholders."""
    # languages
    def languages(self) -> list[str]:
        """The installed languages (`["en_us", "fa_ir"]`)."""
    def language(self) -> str:
        """The language the acting user reads: their own, else the store's."""
    def set_language(self, language: str) -> None:
        """Sets the store's language (`"fa_ir"`, also `"fa"` or `"fa-IR"`), used by users without one of their
        own: field labels, picklist values in exports and reports, validation messages."""
    def set_user_language(self, user_name: str, language: str | None) -> None:
        """Sets a user's own language (None: the store's from now on)."""
    def set_label(self, language: str, key: str, text: str) -> None:
        """Sets a custom label of a language: `key` is a catalogue key (`"Sales Stage"`,
        `"Potentials::Amount"`, a picklist value, a custom field's label); an empty `text` removes it."""
    def custom_labels(self, language: str) -> dict[str, str]:
        """The custom labels of a language, key → text."""
    # conditions and expressions over stored records
    def matching(self, module: str, condition: str | Sequence[Mapping[str, Any]] | Mapping[str, Any], ids: Iterable[RecordId]) -> list[int]:
        """The ids among `ids` (ints or record dicts) whose records of `module` meet `condition`, in the order
        given. `condition` is vtiger's workflow condition JSON (the `test` array: `[{"fieldname": "amount",
        "operation": "greater than", "value": "1000", "joincondition": "", "groupid": 0}]`), as text or as a
        list of dicts; it is compiled once. Every id must be a live record of `module`: an unknown id, a
        record in the recycle bin or of another module raises `crm.NotFoundError`; a condition that does not
        fit the module raises `crm.InvalidArgumentError`."""
    def count_matching(self, module: str, condition: str | Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> int:
        """How many live records of `module` meet `condition` (vtiger's workflow condition JSON, as text or as
        a list of dicts, as in `matching`). The condition is compiled once and the records stream from the
        store without building a dict per record. Raises `crm.NotFoundError` for an unknown module and
        `crm.InvalidArgumentError` for a condition that does not fit the module."""
    def evaluate(self, module: str, expression: str, id: RecordId) -> FieldValue:
        """The value of workflow expression `expression` (`"amount * 2"`, `"concat(potentialname, ' - ',
        sales_stage)"`, `"amount > 1000"`) for record `id` (int or record dict) of `module`: numbers as
        `decimal.Decimal`, dates as `datetime.date`/`datetime`, comparisons as `bool`, empty as `None`.
        Raises `crm.InvalidArgumentError` for a bad expression or a failed evaluation, `crm.NotFoundError`
        as `matching`."""
    # reports
    def forecast(
        self,
        module: str = ...,
        by: str | Sequence[str] | None = None,
        *,
        where: Where = None,
        as_of: datetime.date | None = None,
        period: str | None = None,
        currency: str | None = None,
        subtotals: bool = False,
        calendar: Literal["gregorian", "jalali"] | None = None,
    ) -> list[dict[str, Any]]:
        """The pipeline grouped `by` (rows `key`, `count`, `amount`, `forecast_amount`); with `currency` the sums
        are in that currency (each deal converted at the rate of its close date) and each row has
        `"currency"`; with `subtotals` also `"subtotals"`. With `period`, a list of groupings or
        `"forecast_category"`/`"lead_source"`/`"type"`/`"currency"`, the analytics forecast (a column per
        grouping; `currency` converts it too, `by="currency"` keeps each row in its own currency). With `as_of`
        and `currency`, each deal converts from its currency of that day at that day's close-date rate. With
        `calendar="jalali"` months, quarters and years are Jalali (`1406-Q1`, label `بهار ۱۴۰۶`)."""
    # sales analytics (rows: counts as int, money and ratios as exact Decimal, None where a figure has no value)
    def set_quota(self, owner: str, period: str, amount: decimal.Decimal | int | str) -> dict[str, Any]:
        """Sets an owner's quota for a period (`2027-Q1`, `2027-03`, `2027`, `FY2027`, `FY2027-Q1`)."""
    def quotas(self) -> list[dict[str, Any]]:
        """Every stored quota: `owner`, `period`, `amount`."""
    def attainment(self, period: str, by: str | None = None, *, currency: str | None = None) -> list[dict[str, Any]]:
        """Won amount against quota and open-pipeline coverage of what remains, by `"owner"` or `"total"`; with `currency` in that currency (deals at their close-date rate, quotas at the period's last day)."""
    def win_rate(self, period: str, by: str | None = None, *, currency: str | None = None) -> list[dict[str, Any]]:
        """Win rate by count and amount of the deals closed in the period, with days to close, by total/owner/lead_source/type; amounts in `currency` (each deal at its close-date rate) when given."""
    def sales_velocity(self, period: str, *, currency: str | None = None) -> list[dict[str, Any]]:
        """Open deals x win rate x average won amount / average days to close (one row); money in `currency` when given."""
    def stage_funnel(self, period: str) -> list[dict[str, Any]]:
        """Deals created in the period that reached each stage, went further, and were won."""
    def time_in_stage(self, period: str) -> list[dict[str, Any]]:
        """Average and median whole days in each stage for the deals created in the period."""
    def lost_reasons(self, period: str, by: str | None = None, *, currency: str | None = None) -> list[dict[str, Any]]:
        """Deals lost in the period by `"reason"` or `"last_open_stage"`; amounts in `currency` when given."""
    def pipeline_as_of(
        self, date: datetime.date, by: str | None = None, *, where: Where = None, currency: str | None = None, subtotals: bool = False
    ) -> list[dict[str, Any]]:
        """The pipeline as it stood at the end of `date`, deleted deals included until deleted; each deal converted from its currency of that day at that day's close-date rate into `currency` (base by default), with per-currency `subtotals` on request."""
    def snapshot_pipeline(self) -> list[dict[str, Any]]:
        """Stores today's open pipeline per forecast category, stage and owner; returns its rows."""
    def pipeline_snapshots(self, start: datetime.date | None = None, end: datetime.date | None = None) -> list[dict[str, Any]]:
        """The stored pipeline snapshots taken from `start` to `end` (both included)."""
    def set_forecast_category(self, stage: str, category: str) -> None:
        """Maps a sales stage to a forecast category for deals moved to it from now on."""
    def set_require_lost_reason(self, on: bool) -> None:
        """Requires (or not) a `lost_reason` when an opportunity moves to a lost stage."""
    # currencies
    def base_currency(self) -> CurrencyInfo:
        """The base currency (USD unless set while the store held no money value)."""
    def set_base_currency(self, code: str) -> CurrencyInfo:
        """Sets the base currency; raises ConflictError once a record holds a money value."""
    def add_currency(
        self,
        code: str,
        *,
        name: str | None = None,
        symbol: str | None = None,
        rate: decimal.Decimal | None = None,
        decimals: int | None = None,
        rounding: str | None = None,
    ) -> CurrencyInfo:
        """Adds a currency; `rate` is units of it per one base unit, since always (required the first time)."""
    def set_currency_rate(self, code: str, rate: decimal.Decimal, *, valid_from: datetime.date | None = None) -> CurrencyRate:
        """Sets a dated rate (logged); the base-currency values of the currency's records are refreshed."""
    def remove_currency_rate(self, code: str, *, valid_from: datetime.date | None = None) -> None:
        """Removes the rate that starts on `valid_from` (the since-always rate when None)."""
    def set_currency_active(self, code: str, active: bool) -> None:
        """Activates or deactivates a currency."""
    def currencies(self) -> list[CurrencyInfo]:
        """The store's currencies, the base first."""
    def currency_rates(self, code: str) -> list[CurrencyRate]:
        """The dated rates of a currency, oldest first."""
    def currency_log(self) -> list[CurrencyChange]:
        """The log of currency edits, oldest first."""
    def convert(self, amount: decimal.Decimal, from_currency: str, to_currency: str, *, on: datetime.date) -> decimal.Decimal:
        """Converts an amount at the rates valid on `on`, rounded to the target currency's places."""
    def set_currency_date_field(self, module: str, field: str) -> None:
        """Sets the date field whose day picks the rate for a module's records."""
    def set_user_currency(self, user: str, currency: str | None = None) -> None:
        """Sets (None clears) a user's preferred currency, the default of the records they create."""
    def user_currency(self, user: str) -> str | None:
        """A user's preferred currency, or None."""
    # views
    def filters(self, module: str) -> list[dict[str, Any]]:
        """The saved filters of a module the acting user sees, as dicts."""
    def filter(self, module: str, filter: int | str) -> dict[str, Any]:
        """One filter by id or name."""
    def save_filter(self, module: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        """Saves a filter (new without `id`, else replaces it) and returns it; see the module notes for the
        definition's shape."""
    def delete_filter(self, module: str, filter: int | str) -> None:
        """Deletes a filter (by id or name); system filters cannot be deleted."""
    def list_view(
        self, module: str, filter: int | str | None = None, *, sort: str | None = None, page: int = 1, page_size: int = 50
    ) -> ListPage:
        """One page of a filter's listing (the default filter when None): `{"filter": dict, "records": [...],
        "total", "page", "page_size"}`; `sort` (`"-amount"`) overrides the filter's order."""
    def search(self, module: str, text: str, *, page: int = 1, page_size: int = 50) -> Page:
        """Searches every text field of a module for `text` (ignoring case); one page with the total."""
    def search_columns(
        self, module: str, columns: Mapping[str, str] | Sequence[tuple[str, str]], *, page: int = 1, page_size: int = 50
    ) -> Page:
        """Per-column search: every `{field: text}` must match (text fields contain the text, owners and
        references match by name, other fields equal the value); one page with the total."""
    def page_after(
        self,
        module: str,
        where: Where = None,
        *,
        cursor: str | None = None,
        page_size: int = 50,
        order_by: OrderBy = None,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Keyset paging: the next `page_size` matching records after `cursor` (None: from the start), in the
        query's order (`order_by`, default id) with the id breaking ties. Returns `{"records": [...],
        "cursor": str | None}`; pass `cursor` back for the next page (an opaque string; None when there are
        no more records). Unlike `page`, records inserted or deleted meanwhile do not shift later pages."""
    def view_settings(self) -> dict[str, Any]:
        """The settings named date ranges use, as a dict (`fiscal_year_start_month`, `week_start`, ...)."""
    def set_view_settings(self, settings: Mapping[str, Any]) -> None:
        """Stores the settings named date ranges use (a dict with both keys, as `view_settings` returns it;
        `fiscal_year_start_month` 1..=12)."""
    # relations, comments, mass actions, lead conversion
    def relate(
        self,
        id: RecordId,
        other_id: RecordId,
        *,
        role: str | None = None,
        quantity: decimal.Decimal | int | str | None = None,
        price: decimal.Decimal | int | str | None = None,
    ) -> Link:
        """Links two records many-to-many (a contact, product, service or document with another record). Extra
        details: `role` for a contact, `quantity` and `price` for a product or service. Returns the link."""
    def unrelate(self, id: RecordId, other_id: RecordId) -> None:
        """Removes the link between two records."""
    def related(
        self, id: RecordId, module: str, *, page: int | None = None, page_size: int = 50, links: bool = False
    ) -> list[Any]:
        """The records of `module` related to a record (through a reference field or a many-to-many link), most
        recently modified first; all of them, or one page when `page` is given. With `links=True`, a list of
        `(record, link)` pairs, `link` the link dict (role, quantity, price) or None."""
    def comment(self, id: RecordId, text: str, parent: int | None = None) -> Comment:
        """Adds a comment to a record, or with `parent` (a comment id) a reply to that comment; returns it."""
    def comments(self, id: RecordId) -> list[Comment]:
        """The comments on a record, newest first (replies name their parent)."""
    def activities(self, id: RecordId, *, done: bool = False) -> list[Record]:
        """The activities (Calendar records) of a record: open ones, or done ones with `done=True`."""
    def create_from_opportunity(
        self, opportunity: RecordId, module: str, fields: Mapping[str, InputValue] | None = None
    ) -> Record:
        """Creates a quote, sales order or invoice (`module` "Quotes", "SalesOrder", "Invoice") for an
        opportunity, copying its organization, contact, subject and product/service lines; `fields` win."""
    def mass_edit(self, ids: Iterable[RecordId], fields: Mapping[str, InputValue]) -> MassResult:
        """Sets the same fields on many records (each saved on its own; failures are reported, not raised)."""
    def mass_transfer(self, ids: Iterable[RecordId], owner: str) -> MassResult:
        """Gives many records to another owner (user or group name)."""
    def mass_delete(self, ids: Iterable[RecordId]) -> MassResult:
        """Moves many records to the recycle bin."""
    def mass_comment(self, ids: Iterable[RecordId], text: str) -> MassResult:
        """Adds the same comment to many records."""
    def convert_lead(
        self,
        lead_id: RecordId,
        *,
        account: bool | Mapping[str, InputValue] | None = None,
        contact: bool | Mapping[str, InputValue] | None = None,
        opportunity: Mapping[str, InputValue] | None = None,
        assigned_to: str | None = None,
        transfer_to: str = ...,
    ) -> Converted:
        """Converts a lead: `account` / `contact` are True (create from the lead's mapped fields), False (skip)
        or a dict of fields that override the mapped ones; `opportunity` is None (skip) or a dict of fields.
        `assigned_to` owns the new records (default: the lead's owner); `transfer_to` ("contact" or
        "account") takes over the lead's links. Returns `{"Accounts": id, "Contacts": id, "Potentials": id,
        "account_reused": bool}` (None for what was not created)."""
    def create_opportunity_for(self, customer: RecordId, fields: Mapping[str, InputValue]) -> Record:
        """Creates an opportunity for an existing organization or contact (linked to it); returns the record."""
    def create_for_new_customer(
        self,
        opportunity: Mapping[str, InputValue],
        *,
        account: bool | Mapping[str, InputValue] | None = None,
        contact: bool | Mapping[str, InputValue] | None = None,
    ) -> Converted:
        """Creates an opportunity with a new organization and/or contact in one transaction; returns the ids
        like `convert_lead`."""
    def lead_mapping(self) -> dict[str, Any]:
        """The lead-conversion field mapping: `{"rows": [{"lead", "account", "contact", "potential",
        "editable"}]}`."""
    def set_lead_mapping(self, mapping: Mapping[str, Any]) -> None:
        """Replaces the lead-conversion field mapping (the shape `lead_mapping()` returns)."""
    # import and export
    def import_csv(
        self,
        path: str | os.PathLike[str] | BinaryReader,
        module: str,
        *,
        delimiter: str | None = None,
        encoding: str | None = None,
        date_format: str | None = None,
        decimal_separator: str | None = None,
        thousands_separator: str | None = ...,
        mapping: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
        duplicates: Literal["create", "skip", "overwrite", "merge"] | None = None,
        match_on: Sequence[str] | None = None,
        create_missing_references: bool = False,
        add_unknown_picklist_values: bool = False,
        dry_run: bool = False,
        has_header: bool = True,
        batch_size: int = 250,
        max_rows: int = ...,
        max_record_bytes: int = ...,
        progress: Progress = None,
    ) -> ImportReport:
        """Imports a CSV file into `module`; every row goes through the normal save (validation, workflows,
        change log) in batches of `batch_size` rows per transaction. Returns an `ImportReport`; bad rows are
        reported in `errors`, not raised.

        `path`: a path or a binary file-like object (`open(..., "rb")`, `io.BytesIO`; a text stream is
        refused). `progress`: a callable `(done, total)` called after every batch — bytes read out of the
        file's size for a file or seekable stream, else rows with `total` None until the end — that may
        return False to stop; True for a tqdm bar; None. Ctrl-C stops the import between batches and raises
        `KeyboardInterrupt` (its `import_id` attribute names the import, which `resume_import_csv` resumes)."""
    def import_vcf(
        self,
        path: str | os.PathLike[str] | BinaryReader,
        *,
        duplicates: Literal["create", "skip", "overwrite", "merge"] | None = None,
        match_on: Sequence[str] | None = None,
        create_opportunities: bool = False,
        create_organizations: bool = True,
        encoding: str | None = None,
        defaults: Mapping[str, str] | None = None,
        dry_run: bool = False,
        opportunity_name: str | None = None,
        sales_stage: str | None = None,
        close_in_days: int | None = None,
        max_rows: int | None = None,
        batch_size: int | None = None,
        progress: Progress = None,
    ) -> ImportReport:
        """Imports vCards (2.1, 3.0, 4.0) as Contacts, each linked to its organization (ORG, found by name or
        created unless `create_organizations=False`); with `create_opportunities=True` one opportunity per
        new contact (`opportunity_name` template with `{name}` / `{organization}`, `sales_stage`,
        `close_in_days`). Returns an `ImportReport`. `path`: a path or a binary file-like object;
        `progress` as in `import_csv` (cards out of the number in the file, after every `batch_size` cards;
        False stops the import there, `resume_import_vcf` resumes it)."""
    def resume_import_vcf(
        self,
        import_id: int,
        path: str | os.PathLike[str] | BinaryReader,
        *,
        duplicates: Literal["create", "skip", "overwrite", "merge"] | None = None,
        match_on: Sequence[str] | None = None,
        create_opportunities: bool = False,
        create_organizations: bool = True,
        encoding: str | None = None,
        defaults: Mapping[str, str] | None = None,
        opportunity_name: str | None = None,
        sales_stage: str | None = None,
        close_in_days: int | None = None,
        max_rows: int | None = None,
        batch_size: int | None = None,
        progress: Progress = None,
    ) -> ImportReport:
        """Resumes a vCard import that was interrupted (stopped by Ctrl-C or `progress`, or the process died
        mid-import; `path` a path or a binary file-like object): the cards its journal counts (whole
        committed batches) are skipped and the rest of the file is imported under the same import id, so
        `undo_import` takes back both parts at once. Pass the same file and keywords as the interrupted run.
        The report counts the whole import. ConflictError when the import completed or was undone, or is
        not a vCard import; NotFoundError for an unknown import."""
    def undo_import(self, import_id: int) -> dict[str, int]:
        """Undoes an import: created records (and created references) go to the recycle bin, overwritten and
        merged records get their previous values back. Returns `{"deleted", "restored"}`. ConflictError when
        already undone or when a record changed since."""
    def resume_import_csv(
        self,
        import_id: int,
        path: str | os.PathLike[str] | BinaryReader,
        *,
        delimiter: str | None = None,
        encoding: str | None = None,
        date_format: str | None = None,
        decimal_separator: str | None = None,
        thousands_separator: str | None = ...,
        mapping: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
        duplicates: Literal["create", "skip", "overwrite", "merge"] | None = None,
        match_on: Sequence[str] | None = None,
        create_missing_references: bool = False,
        add_unknown_picklist_values: bool = False,
        has_header: bool = True,
        batch_size: int = 250,
        progress: Progress = None,
    ) -> ImportReport:
        """Resumes a CSV import that was interrupted (stopped by Ctrl-C or `progress`, or the process died
        mid-import; `path` a path or a binary file-like object): the rows its journal counts
        (whole committed batches) are skipped and the rest of the file is imported under the same import id,
        so `undo_import` takes back both parts at once. Pass the same file and options as the interrupted
        run (`dry_run` is refused). The report counts the whole import. ConflictError when the import
        completed or was undone; NotFoundError for an unknown import."""
    def import_records(
        self,
        module: str,
        data: RecordsData,
        *,
        date_format: str | None = None,
        decimal_separator: str | None = None,
        thousands_separator: str | None = ...,
        mapping: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
        duplicates: Literal["create", "skip", "overwrite", "merge"] | None = None,
        match_on: Sequence[str] | None = None,
        create_missing_references: bool = False,
        add_unknown_picklist_values: bool = False,
        dry_run: bool = False,
        batch_size: int = 250,
        max_rows: int = ...,
        progress: Progress = None,
    ) -> ImportReport:
        """Imports rows of data into `module` exactly as `import_csv` imports a file's rows (the same
        mapping by label or field name, rules, duplicates, defaults, dry run, report and journal, so
        `undo_import` takes it back). `data`: an iterable of dicts (a generator is read a chunk at a time),
        a pandas or polars DataFrame, or a pyarrow Table. Typed cells (`Decimal`, `date`, `datetime`,
        `bool`, `int`) are kept typed; `None`, NaN and `NaT` are empty; `str` cells are read as CSV cells
        (`date_format`, `decimal_separator`, `thousands_separator` apply). Row numbers in the report are
        1-based positions. `progress`: a callable `(done, total)` (return False to stop), True for a tqdm
        bar, or None; Ctrl-C stops between batches with `KeyboardInterrupt` (the import is then resumable
        with `resume_import_records`)."""
    def resume_import_records(
        self,
        import_id: int,
        data: RecordsData,
        *,
        date_format: str | None = None,
        decimal_separator: str | None = None,
        thousands_separator: str | None = ...,
        mapping: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
        duplicates: Literal["create", "skip", "overwrite", "merge"] | None = None,
        match_on: Sequence[str] | None = None,
        create_missing_references: bool = False,
        add_unknown_picklist_values: bool = False,
        batch_size: int = 250,
        progress: Progress = None,
    ) -> ImportReport:
        """Resumes an interrupted `import_records` (stopped by Ctrl-C or by `progress` returning False): pass
        the same data and options; the rows its journal counts are skipped and the rest imported under the
        same id. The report counts the whole import. ConflictError when the import completed, was undone,
        or is not an import of records."""
    def imports(self) -> list[dict[str, Any]]:
        """Every import, oldest first, with its counts and status."""
    def import_rows(self, import_id: int, *, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """What an import did to each record it touched, in file order: all of it, or with `limit` one page of
        at most `limit` rows after skipping `offset`. `limit` is 1..=10 000 (`limits::MAX_LOG_PAGE`)."""
    def save_mapping(self, module: str, name: str, mapping: Mapping[str, str]) -> None:
        """Saves a named column → field mapping for later imports of `module`."""
    def mappings(self, module: str) -> dict[str, dict[str, str]]:
        """The saved mappings of a module: `{name: {column: field}}`."""
    def delete_mapping(self, module: str, name: str) -> None:
        """Deletes a saved mapping."""
    def export_csv(
        self,
        path: str | os.PathLike[str] | Writer,
        module: str,
        ids: Iterable[RecordId] | None = None,
        *,
        filter: int | str | None = None,
        where: Where = None,
        order_by: OrderBy = None,
        page: int | None = None,
        page_size: int | None = None,
        header: Literal["labels", "names", "none"] = ...,
        columns: Sequence[str] | None = None,
        delimiter: str = ...,
        date_format: str | None = None,
        bom: bool = False,
        neutralize_formulas: bool = True,
        digits: Literal["latin", "persian"] | None = None,
        progress: Progress = None,
    ) -> int:
        """Writes records of `module` to a CSV file; returns the number of rows written. Selection: `ids` (in
        that order), or the records matching `filter` (saved filter id or name) and `where`, all of them or
        one page (`page`, `page_size`). `header`: `"labels"` (vtiger's), `"names"` or `"none"`; `columns`:
        fields to write (default: every field); references are written `Module::::Name` as vtiger does.
        `date_format` as import's (`"jalali"` writes `1406/01/05`); `bom` writes a UTF-8 byte-order mark
        (Excel needs it to show Persian); `digits="persian"` writes numbers and dates with Persian digits.

        `path`: a path or a writable file-like object — a binary one gets bytes; a text one
        (`io.TextIOBase`: `io.StringIO`, `sys.stdout`) gets `str`, whole characters. `progress` as in
        `import_csv`: records written out of the number selected, every 500 and at the end; returning False
        stops the export there (the records written stay, the count returned is theirs); Ctrl-C stops it
        the same way and raises `KeyboardInterrupt`."""
    def export_vcf(
        self,
        path: str | os.PathLike[str],
        ids: Iterable[RecordId] | None = None,
        *,
        filter: int | str | None = None,
        where: Where = None,
        version: Literal["3.0", "4.0"] = ...,
        progress: Progress = None,
    ) -> int:
        """Writes contacts as vCards (`version` "3.0" or "4.0"); selection as in `export_csv`. Returns the
        number of cards written. `progress` as in `export_csv`: cards written out of the number selected,
        every 500 and at the end; returning False stops the export there (the cards written stay, the count
        returned is theirs); Ctrl-C stops it the same way and raises `KeyboardInterrupt`."""
