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
from crm_engine.types import ErrorDetails

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
    def import_id(self) -> int: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def rows(self) -> int: ...
    @property
    def created(self) -> int: ...
    @property
    def updated(self) -> int: ...
    @property
    def merged(self) -> int: ...
    @property
    def skipped(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def references_created(self) -> int: ...
    @property
    def picklist_values_added(self) -> list[str]: ...
    @property
    def mapping(self) -> list[tuple[str, str | None]]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def errors(self) -> list[ImportProblem]: ...
    @property
    def row_reports(self) -> list[dict[str, Any]]: ...

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
class Crm:
    """A crm database: an SQLite file (created if missing), ":memory:", or a PostgreSQL database given by a
    `postgres://user:password@host:5432/dbname` URL (one database holds one CRM; add
    `?options=-csearch_path%3Dname` to keep it in schema `name`). Safe to share between threads."""

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
    ) -> UserInfo: ...
    def add_group(self, name: str, members: Sequence[str] = ...) -> GroupInfo: ...
    def users(self) -> list[UserInfo]: ...
    def user_info(self, user_name: str) -> UserInfo: ...
    def owner(self, owner: int | str) -> dict[str, Any] | None: ...
    def groups(self) -> list[GroupInfo]: ...
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
    def get_deleted(self, id: RecordId) -> Record: ...
    def update(self, id: RecordId, fields: Mapping[str, InputValue], *, version: int | None = None) -> Record: ...
    def delete(self, id: RecordId) -> None: ...
    def restore(self, id: RecordId) -> Record: ...
    def purge(self, id: RecordId) -> None: ...
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
    ) -> list[Record]: ...
    def count(self, module: str, where: Where = None, *, filter: int | str | None = None, deleted: bool = False) -> int: ...
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
        currency: str | None = None,
    ) -> list[dict[str, Any]]: ...
    def history(self, id: RecordId, *, after: int | None = None, limit: int | None = None) -> list[HistoryEntry]: ...
    def stage_history(self, id: RecordId) -> list[StageEntry]: ...
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
    def stage_durations(self, id: RecordId) -> list[StageDuration]: ...
    # schema customization
    def add_field(self, module: str, *, label: str, type: str, **options: Any) -> FieldInfo: ...
    def update_field(self, module: str, field: str, **changes: Any) -> FieldInfo: ...
    def move_field(self, module: str, field: str, block: str, position: int | None = None) -> None: ...
    def reorder_fields(self, module: str, block: str, fields: Sequence[str]) -> None: ...
    def delete_field(self, module: str, field: str) -> None: ...
    def blocks(self, module: str) -> list[BlockInfo]: ...
    def add_block(self, module: str, label: str) -> BlockInfo: ...
    def rename_block(self, module: str, block: str, label: str) -> None: ...
    def reorder_blocks(self, module: str, blocks: Sequence[str]) -> None: ...
    def delete_block(self, module: str, block: str) -> None: ...
    def add_index(self, module: str, fields: Sequence[str]) -> IndexInfo: ...
    def drop_index(self, module: str, fields: Sequence[str]) -> None: ...
    def indexes(self, module: str) -> list[IndexInfo]: ...
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
    def add_picklist_value(self, field: str | tuple[str, str], value: str) -> None: ...
    def add_picklist_values(self, field: str | tuple[str, str], values: Sequence[str]) -> None: ...
    def reorder_picklist(self, field: str | tuple[str, str], values: Sequence[str]) -> None: ...
    def rename_picklist_value(self, field: str | tuple[str, str], old: str, new: str) -> None: ...
    def delete_picklist_values(
        self, field: str | tuple[str, str], values: Sequence[str], replacement: str | None = None
    ) -> None: ...
    def set_picklist_value_roles(self, field: str | tuple[str, str], value: str, roles: Sequence[str]) -> None: ...
    def picklist_values_for_role(self, field: str | tuple[str, str], role: str) -> list[str]: ...
    def set_picklist_dependency(self, module: str, source: str, target: str, mapping: Mapping[str, Sequence[str]]) -> None: ...
    def stages(self) -> list[StageInfo]: ...
    def set_stage_meta(self, value: str, kind: Literal["open", "won", "lost"], probability: decimal.Decimal | int | str) -> None: ...
    def schema_changes(self, *, after: int | None = None, limit: int | None = None) -> list[dict[str, Any]]: ...
    def refresh_schema(self) -> bool: ...
    def apply_schema_change(self, change: str | Mapping[str, Any]) -> dict[str, Any]: ...
    # workflows and outbox
    def add_workflow(self, definition: str | Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any: ...
    def workflows(self, module: str | None = None) -> list[dict[str, Any]]: ...
    def get_workflow(self, id: int) -> dict[str, Any]: ...
    def update_workflow(self, id: int, definition: str | Mapping[str, Any]) -> dict[str, Any]: ...
    def set_workflow_active(self, id: int, active: bool = True) -> None: ...
    def delete_workflow(self, id: int) -> None: ...
    def dry_run(self, target: RecordId | str, changes: Mapping[str, InputValue] | None = None) -> dict[str, Any]: ...
    def run_workflow(self, id: int, record: RecordId) -> dict[str, Any]: ...
    def run_due(self, now: datetime.datetime | None = None) -> dict[str, Any]: ...
    def unregistered_functions(self) -> list[tuple[int, str]]: ...
    def queued_tasks(self) -> list[dict[str, Any]]: ...
    def outbox(self) -> list[dict[str, Any]]: ...
    def outbox_page(self, status: str | None = None, after_id: int = 0, limit: int = 100) -> list[dict[str, Any]]: ...
    def purge_outbox(self, before: datetime.datetime) -> int: ...
    def mark_sent(self, id: int) -> None: ...
    def mark_failed(self, id: int, error: str) -> None: ...
    def deliver_outbox(self, mailer: Callable[[dict[str, Any]], object]) -> dict[str, Any]: ...
    def register_function(self, name: str, function: Callable[[Record], Mapping[str, InputValue] | None]) -> None: ...
    def set_time_zone(self, name: str) -> None: ...
    def time_zone(self) -> str: ...
    def set_site_url(self, url: str) -> None: ...
    # languages
    def languages(self) -> list[str]: ...
    def language(self) -> str: ...
    def set_language(self, language: str) -> None: ...
    def set_user_language(self, user_name: str, language: str | None) -> None: ...
    def set_label(self, language: str, key: str, text: str) -> None: ...
    def custom_labels(self, language: str) -> dict[str, str]: ...
    # conditions and expressions over stored records
    def matching(self, module: str, condition: str | Sequence[Mapping[str, Any]] | Mapping[str, Any], ids: Iterable[RecordId]) -> list[int]: ...
    def count_matching(self, module: str, condition: str | Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> int: ...
    def evaluate(self, module: str, expression: str, id: RecordId) -> FieldValue: ...
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
        `"forecast_category"`/`"lead_source"`/`"type"`, the analytics forecast (a column per grouping). With
        `calendar="jalali"` months, quarters and years are Jalali (`1406-Q1`, label `بهار ۱۴۰۶`)."""
    # sales analytics (rows: counts as int, money and ratios as exact Decimal, None where a figure has no value)
    def set_quota(self, owner: str, period: str, amount: decimal.Decimal | int | str) -> dict[str, Any]:
        """Sets an owner's quota for a period (`2027-Q1`, `2027-03`, `2027`, `FY2027`, `FY2027-Q1`)."""
    def quotas(self) -> list[dict[str, Any]]:
        """Every stored quota: `owner`, `period`, `amount`."""
    def attainment(self, period: str, by: str | None = None) -> list[dict[str, Any]]:
        """Won amount against quota and open-pipeline coverage of what remains, by `"owner"` or `"total"`."""
    def win_rate(self, period: str, by: str | None = None) -> list[dict[str, Any]]:
        """Win rate by count and amount of the deals closed in the period, with days to close, by total/owner/lead_source/type."""
    def sales_velocity(self, period: str) -> list[dict[str, Any]]:
        """Open deals x win rate x average won amount / average days to close (one row)."""
    def stage_funnel(self, period: str) -> list[dict[str, Any]]:
        """Deals created in the period that reached each stage, went further, and were won."""
    def time_in_stage(self, period: str) -> list[dict[str, Any]]:
        """Average and median whole days in each stage for the deals created in the period."""
    def lost_reasons(self, period: str, by: str | None = None) -> list[dict[str, Any]]:
        """Deals lost in the period by `"reason"` or `"last_open_stage"`."""
    def pipeline_as_of(self, date: datetime.date, by: str | None = None, *, where: Where = None) -> list[dict[str, Any]]:
        """The pipeline as it stood at the end of `date`, deleted deals included until deleted."""
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
    def filters(self, module: str) -> list[dict[str, Any]]: ...
    def filter(self, module: str, filter: int | str) -> dict[str, Any]: ...
    def save_filter(self, module: str, definition: Mapping[str, Any]) -> dict[str, Any]: ...
    def delete_filter(self, module: str, filter: int | str) -> None: ...
    def list_view(
        self, module: str, filter: int | str | None = None, *, sort: str | None = None, page: int = 1, page_size: int = 50
    ) -> ListPage: ...
    def search(self, module: str, text: str, *, page: int = 1, page_size: int = 50) -> Page: ...
    def search_columns(
        self, module: str, columns: Mapping[str, str] | Sequence[tuple[str, str]], *, page: int = 1, page_size: int = 50
    ) -> Page: ...
    def page_after(
        self,
        module: str,
        where: Where = None,
        *,
        cursor: str | None = None,
        page_size: int = 50,
        order_by: OrderBy = None,
        deleted: bool = False,
    ) -> dict[str, Any]: ...
    def view_settings(self) -> dict[str, Any]: ...
    def set_view_settings(self, settings: Mapping[str, Any]) -> None: ...
    # relations, comments, mass actions, lead conversion
    def relate(
        self,
        id: RecordId,
        other_id: RecordId,
        *,
        role: str | None = None,
        quantity: decimal.Decimal | int | str | None = None,
        price: decimal.Decimal | int | str | None = None,
    ) -> Link: ...
    def unrelate(self, id: RecordId, other_id: RecordId) -> None: ...
    def related(
        self, id: RecordId, module: str, *, page: int | None = None, page_size: int = 50, links: bool = False
    ) -> list[Any]: ...
    def comment(self, id: RecordId, text: str, parent: int | None = None) -> Comment: ...
    def comments(self, id: RecordId) -> list[Comment]: ...
    def activities(self, id: RecordId, *, done: bool = False) -> list[Record]: ...
    def create_from_opportunity(
        self, opportunity: RecordId, module: str, fields: Mapping[str, InputValue] | None = None
    ) -> Record: ...
    def mass_edit(self, ids: Iterable[RecordId], fields: Mapping[str, InputValue]) -> MassResult: ...
    def mass_transfer(self, ids: Iterable[RecordId], owner: str) -> MassResult: ...
    def mass_delete(self, ids: Iterable[RecordId]) -> MassResult: ...
    def mass_comment(self, ids: Iterable[RecordId], text: str) -> MassResult: ...
    def convert_lead(
        self,
        lead_id: RecordId,
        *,
        account: bool | Mapping[str, InputValue] | None = None,
        contact: bool | Mapping[str, InputValue] | None = None,
        opportunity: Mapping[str, InputValue] | None = None,
        assigned_to: str | None = None,
        transfer_to: str = ...,
    ) -> Converted: ...
    def create_opportunity_for(self, customer: RecordId, fields: Mapping[str, InputValue]) -> Record: ...
    def create_for_new_customer(
        self,
        opportunity: Mapping[str, InputValue],
        *,
        account: bool | Mapping[str, InputValue] | None = None,
        contact: bool | Mapping[str, InputValue] | None = None,
    ) -> Converted: ...
    def lead_mapping(self) -> dict[str, Any]: ...
    def set_lead_mapping(self, mapping: Mapping[str, Any]) -> None: ...
    # import and export
    def import_csv(
        self,
        path: str | os.PathLike[str],
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
        progress: Callable[[int], object] | None = None,
    ) -> ImportReport: ...
    def import_vcf(
        self,
        path: str | os.PathLike[str],
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
        progress: Callable[[int], object] | None = None,
    ) -> ImportReport: ...
    def undo_import(self, import_id: int) -> dict[str, int]: ...
    def resume_import_csv(
        self,
        import_id: int,
        path: str | os.PathLike[str],
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
        progress: Callable[[int], object] | None = None,
    ) -> ImportReport: ...
    def imports(self) -> list[dict[str, Any]]: ...
    def import_rows(self, import_id: int, *, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]: ...
    def save_mapping(self, module: str, name: str, mapping: Mapping[str, str]) -> None: ...
    def mappings(self, module: str) -> dict[str, dict[str, str]]: ...
    def delete_mapping(self, module: str, name: str) -> None: ...
    def export_csv(
        self,
        path: str | os.PathLike[str],
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
    ) -> int: ...
    def export_vcf(
        self,
        path: str | os.PathLike[str],
        ids: Iterable[RecordId] | None = None,
        *,
        filter: int | str | None = None,
        where: Where = None,
        version: Literal["3.0", "4.0"] = ...,
    ) -> int: ...
