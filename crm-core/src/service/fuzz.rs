//! Fuzz harnesses: one plain function per fuzz target, taking arbitrary bytes.
//!
//! Not part of the supported API (hidden from the docs). The libFuzzer binaries in `fuzz/` call these
//! functions, and `crm-core/tests/fuzz_corpus.rs` replays every kept corpus file and crash reproducer
//! through them on stable Rust, so each input that ever found a bug stays a regression test.
//!
//! A harness never panics on its own: any error the engine returns is an accepted outcome. A panic, a
//! stack overflow, a hang or an unbounded allocation is the bug the fuzzer looks for.

use super::Crm;
use super::workflows::StoreEnv;
use crate::io::{DateFormat, Delimiter, Duplicates, Encoding, ImportOptions};
use crate::record::{Fields, Record};
use crate::service::VcardImportOptions;
use crate::user::NewUser;
use crate::view::Filter;
use crate::workflow::Ctx;
use crate::workflow::condition::Cond;
use crate::workflow::expr::Expr;

/// The names of the targets, as used for `fuzz/corpus/<name>/`.
pub const TARGETS: &[&str] = &["csv_import", "vcard_import", "condition", "expression", "filter"];

/// Runs the target named `name` on `data`; `false` for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "csv_import" => csv_import(data),
        "vcard_import" => vcard_import(data),
        "condition" => condition(data),
        "expression" => expression(data),
        "filter" => filter(data),
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

/// Options derived from the first bytes of the input (the rest is the file).
fn options_from(head: [u8; 3]) -> ImportOptions {
    let [a, b, c] = head;
    let delimiter =
        [Delimiter::Auto, Delimiter::Comma, Delimiter::Semicolon, Delimiter::Pipe, Delimiter::Caret, Delimiter::Tab][usize::from(a % 6)];
    let encoding = [Encoding::Utf8, Encoding::Latin1, Encoding::Windows1252][usize::from((a / 6) % 3)];
    let date_format = [
        DateFormat::Iso,
        DateFormat::DayMonthYearDash,
        DateFormat::MonthDayYearDash,
        DateFormat::DayMonthYearDot,
        DateFormat::DayMonthYearSlash,
        DateFormat::MonthDayYearSlash,
        DateFormat::Jalali,
    ][usize::from(b % 7)];
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

/// CSV import into Potentials: the first three bytes choose the options, the rest is the file. A
/// successful import is undone again (exercises the journal).
pub fn csv_import(data: &[u8]) {
    let (head, file) = match data {
        [a, b, c, rest @ ..] => ([*a, *b, *c], rest),
        _ => ([0, 0, 0], data),
    };
    let options = options_from(head);
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
    let Some(mut crm) = fresh() else { return };
    let _ = crm.import_vcard(file, &options, None);
}

fn with_ctx(f: impl FnOnce(&Ctx<'_>)) {
    with_fixture(|fx| {
        let Ok(m) = fx.crm.module("Potentials") else { return };
        let env = StoreEnv { crm: &fx.crm, dir: None };
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
