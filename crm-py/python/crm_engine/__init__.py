"""crm: an embeddable sales-opportunity engine (vtiger CRM "Potentials" compatible).

Open a database with :class:`Crm` (an SQLite file, created if missing, or ``":memory:"``), register users,
then create, update, find and delete records of any built-in module. Records are plain dicts with ``"id"``,
``"module"`` and one key per field; money, decimals and percentages are :class:`decimal.Decimal`.

>>> import crm_engine as crm
>>> with crm.Crm(":memory:") as db:
...     org = db.create("Accounts", {"accountname": "Hooli"})
...     org["accountname"]
'Hooli'
"""

from crm_engine._crm import (
    AccessDeniedError,
    ArrowStream,
    ConflictError,
    Crm,
    ChangeWatch,
    CrmError,
    FeedPositionExpiredError,
    ImportReport,
    InvalidArgumentError,
    NotFoundError,
    RecordIterator,
    SchemaError,
    StorageError,
    Transaction,
    ValidationError,
    __version__,
)

__all__ = [
    "AccessDeniedError",
    "ArrowStream",
    "ConflictError",
    "Crm",
    "ChangeWatch",
    "CrmError",
    "FeedPositionExpiredError",
    "ImportReport",
    "InvalidArgumentError",
    "NotFoundError",
    "RecordIterator",
    "SchemaError",
    "StorageError",
    "Transaction",
    "ValidationError",
    "__version__",
]
