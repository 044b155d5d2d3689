//! Fuzz harnesses: one plain function per fuzz target, taking arbitrary bytes.
//!
//! Not part of the supported API (hidden from the docs). The libFuzzer binaries in `fuzz/` call these
//! functions, and `crm-core/tests/fuzz_corpus.rs` replays every kept corpus file and crash reproducer
//! through them on stable Rust, so each input that ever found a bug stays a regression test.
//!
//! A harness never panics on its own: any error the engine returns is an accepted outcome. A panic, a
//! stack overflow, a hang or an unbounded allocation is the bug the fuzzer looks for.

use super::Crm;
use super::ExportSelection;
use super::workflows::StoreEnv;
use crate::io::vcard_export::VcardVersion;
use crate::io::{DateFormat, Delimiter, Duplicates, Encoding, ExportOptions, HeaderStyle, ImportOptions};
use crate::limits::{MAX_CLOSE_IN_DAYS, MAX_IMPORT_BATCH};
use crate::query::{Condition, Op, Query};
use crate::record::{Fields, Record};
use crate::service::{NewCustomerOpportunity, VcardImportOptions};
use crate::user::NewUser;
use crate::value::RecordId;
use crate::view::Filter;
use crate::workflow::Ctx;
use crate::workflow::condition::Cond;
use crate::workflow::expr::Expr;

/// The names of the targets, as used for `fuzz/corpus/<name>/`.
pub const TARGETS: &[&str] = &["csv_import", "vcard_import", "condition", "expression", "filter", "export"];

/// Runs the target named `name` on `data`; `false` for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "csv_import" => csv_import(data),
        "vcard_import" => vcard_import(data),
        "condition" => condition(data),
        "expression" => expression(data),
        "filter" => filter(data),
        "export" => export(data),
        _ => return false,
    }
    true
}

/// A fresh in-memory engine with an acting user.
fn fresh() -> Option<Crm> {
    let mut crm = Crm::open(":memory:").ok()?;
    crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).ok()?;
    crm.set_actor("admin").ok()?;
    Some(crm)
}

/// An engine with a few records, built once per thread and only read afterwards.
struct Fixture {
    crm: Crm,
    deal: Record,
}

fn fixture() -> Fixture {
    // Fixed data: a failure here is a bug of the harness, reported loudly (the replay test would otherwise
    // pass without running anything).
    let mut crm = fresh().expect("fuzz fixture: open an engine");
    crm.create("Accounts", Fields::new().with("accountname", "Hooli").with("website", "https://hooli.example"))
        .expect("fuzz fixture: organization");
    crm.create("Contacts", Fields::new().with("lastname", "Bighetti").with("firstname", "Nelson").with("account_id", "Hooli"))
        .expect("fuzz fixture: contact");
    let deal = crm
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "Hooli renewal")
                .with("related_to", "Hooli")
                .with("amount", "12000.50")
                .with("sales_stage", "Negotiation or Review")
                .with("closingdate", "2027-03-31")
                .with("nextstep", "call 'back'")
                .with("description", "=1+1 \"quoted\" ümlaut"),
        )
        .expect("fuzz fixture: opportunity");
    crm.create(
        "Potentials",
        Fields::new()
            .with("potentialname", "Small")
            .with("amount", "5")
            .with("sales_stage", "Prospecting")
            .with("closingdate", "2026-01-01"),
    )
    .expect("fuzz fixture: second opportunity");
    Fixture { crm, deal }
}

thread_local! {
    static FIXTURE: Fixture = fixture();
}

fn with_fixture(f: impl FnOnce(&Fixture)) {
    FIXTURE.with(f);
}

/// Every delimiter, in the order the harnesses pick them by byte.
const DELIMITERS: [Delimiter; 6] =
    [Delimiter::Auto, Delimiter::Comma, Delimiter::Semicolon, Delimiter::Pipe, Delimiter::Caret, Delimiter::Tab];

/// Every date format, in the order the harnesses pick them by byte.
const DATE_FORMATS: [DateFormat; 7] = [
    DateFormat::Iso,
    DateFormat::DayMonthYearDash,
    DateFormat::MonthDayYearDash,
    DateFormat::DayMonthYearDot,
    DateFormat::DayMonthYearSlash,
    DateFormat::MonthDayYearSlash,
    DateFormat::Jalali,
];

/// Options derived from the first bytes of the input (the rest is the file).
fn options_from(head: [u8; 3]) -> ImportOptions {
    let [a, b, c] = head;
    let delimiter = DELIMITERS[usize::from(a % 6)];
    let encoding = [Encoding::Utf8, Encoding::Latin1, Encoding::Windows1252][usize::from((a / 6) % 3)];
    let date_format = DATE_FORMATS[usize::from(b % 7)];
    let duplicates = [Duplicates::Create, Duplicates::Skip, Duplicates::Overwrite, Duplicates::Merge][usize::from((b / 7) % 4)];
    let mut o = ImportOptions {
        has_header: c & 1 == 0,
        delimiter,
        encoding,
        date_format,
        duplicates,
        create_missing_references: c & 2 != 0,
        add_unknown_picklist_values: c & 4 != 0,
        dry_run: c & 8 != 0,
        batch_size: usize::from(c >> 6) + 1,
        ..ImportOptions::default()
    };
    if c & 16 != 0 {
        o.decimal_separator = ',';
        o.thousands_separator = Some('.');
    }
    if duplicates != Duplicates::Create {
        o.match_on = vec!["potentialname".into()];
    }
    if c & 32 != 0 {
        o.defaults.insert("sales_stage".into(), "Prospecting".into());
        o.defaults.insert("closingdate".into(), "2027-01-01".into());
    }
    o
}

/// The options the first bytes leave out, chosen by the file's last byte (which stays part of the file, so
/// older corpus inputs keep their meaning for the first bytes): a column mapping built from the header
/// line (unknown fields included), row and record-size caps, separators, batch sizes out of range and
/// defaults that do not parse.
fn more_options(o: &mut ImportOptions, file: &[u8]) {
    let Some(&z) = file.last() else { return };
    if z & 1 != 0 {
        o.max_rows = u64::from(z >> 4);
    }
    if z & 2 != 0 {
        o.max_record_bytes = u64::from(z >> 2) * 7;
    }
    if z & 4 != 0 {
        const FIELDS: [&str; 7] = ["potentialname", "amount", "sales_stage", "closingdate", "related_to", "probability", "nosuchfield"];
        let header = file.split(|&b| b == b'\n').next().unwrap_or_default();
        let header = String::from_utf8_lossy(header);
        let used = if z & 8 != 0 { FIELDS.len() } else { FIELDS.len() - 1 };
        for (i, column) in header.split([',', ';', '|', '^', '\t']).enumerate().take(16) {
            o.mapping.insert(column.trim_matches('"').to_string(), FIELDS[i % used].to_string());
        }
    }
    if z & 16 != 0 {
        o.thousands_separator = [None, Some(' '), Some('\''), Some(',')][usize::from(z >> 6)];
    }
    if z & 96 == 96 {
        o.batch_size = if z & 128 != 0 { 0 } else { MAX_IMPORT_BATCH + 1 };
    }
    if z & 0xc0 == 0x80 {
        o.defaults.insert("amount".into(), "1e400".into());
        o.defaults.insert("closingdate".into(), "31.02.2027".into());
        o.defaults.insert("nosuchfield".into(), "x".into());
    }
}

/// CSV import into Potentials: the first three bytes choose the options, the rest is the file. A
/// successful import is undone again (exercises the journal).
pub fn csv_import(data: &[u8]) {
    let (head, file) = match data {
        [a, b, c, rest @ ..] => ([*a, *b, *c], rest),
        _ => ([0, 0, 0], data),
    };
    let mut options = options_from(head);
    more_options(&mut options, file);
    let Some(mut crm) = fresh() else { return };
    let module = if head[2] & 128 != 0 { "Contacts" } else { "Potentials" };
    if let Ok(report) = crm.import_csv(file, module, &options, None)
        && report.import_id > 0
    {
        let _ = crm.undo_import(report.import_id);
    }
}

/// vCard import: the first byte chooses the options, the rest is the file.
pub fn vcard_import(data: &[u8]) {
    let (head, file) = match data {
        [a, rest @ ..] => (*a, rest),
        _ => (0, data),
    };
    let mut options = VcardImportOptions { create_organizations: head & 1 == 0, ..Default::default() };
    options.import.encoding = [Encoding::Utf8, Encoding::Latin1, Encoding::Windows1252][usize::from((head >> 1) % 3)];
    options.import.dry_run = head & 8 != 0;
    if head & 16 != 0 {
        options.import.duplicates = Duplicates::Merge;
        options.import.match_on = vec!["email".into()];
    }
    options.import.create_missing_references = head & 64 != 0;
    options.import.add_unknown_picklist_values = head & 128 != 0;
    // The file's last byte (still part of the file) picks the opportunity per new customer and the rest.
    let z = file.last().copied().unwrap_or(0);
    if head & 32 != 0 {
        options.opportunity = Some(NewCustomerOpportunity {
            name_template: ["{organization} - new customer", "{name}", "", "{name} {organization} {nosuch} {"][usize::from(z % 4)].into(),
            sales_stage: ["Prospecting", "Closed Won", "Nope", ""][usize::from((z >> 2) % 4)].into(),
            close_in_days: [0, 1, 30, MAX_CLOSE_IN_DAYS, MAX_CLOSE_IN_DAYS + 1, u32::MAX][usize::from((z >> 4) % 6)],
        });
    }
    match z >> 6 {
        1 => options.import.batch_size = 1,
        2 => options.import.max_rows = 1,
        3 => {
            options.import.defaults.insert("leadsource".into(), "Nope".into());
            options.import.duplicates = [Duplicates::Skip, Duplicates::Overwrite][usize::from(z & 1)];
            options.import.match_on = vec!["lastname".into(), "nosuchfield".into()];
        }
        _ => {}
    }
    let Some(mut crm) = fresh() else { return };
    let _ = crm.import_vcard(file, &options, None);
}

fn with_ctx(f: impl FnOnce(&Ctx<'_>)) {
    with_fixture(|fx| {
        let Ok(m) = fx.crm.module("Potentials") else { return };
        let env = StoreEnv { crm: &fx.crm, dir: None, language: Default::default() };
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let ctx = Ctx { schema: &fx.crm.schema, module: m, before: Some(&fx.deal), record: &fx.deal, now, tz: chrono_tz::UTC, env: &env };
        f(&ctx);
    });
}

/// vtiger condition JSON (a workflow's `test` column): parse against Potentials, evaluate against a record
/// and push down to a query.
pub fn condition(data: &[u8]) {
    let json = String::from_utf8_lossy(data);
    with_ctx(|ctx| {
        if let Ok(c) = Cond::from_vtiger(&json, ctx.module) {
            let mut trace = Vec::new();
            let _ = c.eval(ctx, &mut trace);
            let _ = c.to_query(ctx.module);
        }
    });
}

/// The expression language: compile against Potentials and evaluate against a record.
pub fn expression(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    with_ctx(|ctx| {
        if let Ok(e) = Expr::compile(&src, ctx.module) {
            let _ = e.eval(ctx);
        }
    });
}

/// A filter definition (JSON) turned into a query and run on the memory store; input that is not a filter
/// is used as a search term and a sort key instead.
pub fn filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    with_fixture(|fx| {
        let crm = &fx.crm;
        match serde_json::from_str::<Filter>(&text) {
            Ok(f) => {
                if let Ok(q) = crm.filter_query(&f) {
                    let _ = crm.count(q.clone());
                    let _ = crm.find(q);
                }
            }
            Err(_) => {
                let _ = crm.search("Potentials", &text, 1, 20);
                let _ = crm.list("Potentials", "All", Some(&text), 1, 20);
            }
        }
    });
}

/// CSV and vCard export of the fixture with every option: the first three bytes choose the options and the
/// selection, the rest is a list of columns (comma-separated) and a search text.
pub fn export(data: &[u8]) {
    let (head, rest) = match data {
        [a, b, c, rest @ ..] => ([*a, *b, *c], rest),
        _ => ([0, 0, 0], data),
    };
    let [a, b, c] = head;
    let text = String::from_utf8_lossy(rest);
    let (columns, search) = text.split_once('\n').unwrap_or((&text, ""));
    let options = ExportOptions {
        columns: columns.split(',').filter(|c| !c.is_empty()).take(32).map(str::to_string).collect(),
        header: [HeaderStyle::Labels, HeaderStyle::Names, HeaderStyle::None][usize::from(a % 3)],
        delimiter: DELIMITERS[usize::from((a / 3) % 6)],
        date_format: DATE_FORMATS[usize::from(b % 7)],
        neutralize_formulas: b & 8 == 0,
        bom: b & 16 != 0,
        converted_to: None,
        digits: if b & 32 != 0 { crate::io::Digits::Persian } else { crate::io::Digits::Latin },
    };
    let module = ["Potentials", "Contacts", "Accounts", "Nope"][usize::from(c % 4)];
    let mut query = Query::new(module);
    if !search.is_empty() {
        let field = if module == "Potentials" { "potentialname" } else { "label" };
        query = query.filter(Condition::cmp(field, Op::Contains, search));
    }
    let selection = match (c >> 2) % 3 {
        0 => ExportSelection::All(query),
        1 => ExportSelection::Page { query, page: u64::from(b >> 5), size: u64::from(a >> 4) },
        _ => ExportSelection::Ids(rest.iter().take(8).map(|&x| RecordId(i64::from(x) - 2)).collect()),
    };
    with_fixture(|fx| {
        let mut out = Vec::new();
        let _ = fx.crm.export_csv(&mut out, module, &selection, &options);
        out.clear();
        let version = if c & 32 != 0 { VcardVersion::V3 } else { VcardVersion::V4 };
        let _ = fx.crm.export_vcard(&mut out, &selection, version);
    });
}
