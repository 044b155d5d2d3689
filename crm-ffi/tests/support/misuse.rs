//! Generates a C program that misuses EVERY function of `include/crm.h`, so a new function is covered the
//! moment it is exported: each pointer argument in turn is NULL, each string argument in turn is invalid
//! UTF-8, and ids are unknown or extreme, with the other arguments valid. Expected: no crash, no
//! `CRM_STATUS_PANIC`, an error (never `CRM_OK`) for a NULL store or string and for invalid UTF-8, a
//! message in the last-error slot on every failure — and, under valgrind, no invalid access and no leak.
//!
//! Not generated (documented contracts, covered by `tests/c/errors.c`): `crm_store_open` /
//! `crm_store_free` / `crm_string_free` (their NULL cases are tested by hand; a freed handle or a string
//! freed twice is undefined behaviour by contract), and `crm_callback_reply_set` (a reply exists only
//! inside a callback).

/// String arguments whose NULL is a documented value (the header says what NULL means for each), so NULL
/// there may succeed.
const OPTIONAL_STRINGS: &[(&str, &str)] = &[
    ("crm_export_csv", "selection_json"),          // NULL: every record of the module
    ("crm_export_csv", "options_json"),            // NULL: defaults
    ("crm_filter_get", "id_or_name"),              // NULL: the module's default filter
    ("crm_workflows", "module"),                   // NULL or "": every module
    ("crm_workflows_run_due", "now"),              // NULL: the current time
    ("crm_outbox_page", "status"),                 // NULL: every status
    ("crm_changes", "modules_json"),               // NULL: every module
    ("crm_duplicates_find", "search_json"),        // NULL: every default (name field, normalised, first page)
    ("crm_import_csv_v2", "options_json"),         // NULL: defaults
    ("crm_import_resume_v2", "options_json"),      // NULL: defaults
    ("crm_import_records", "options_json"),        // NULL: defaults
    ("crm_import_records_resume", "options_json"), // NULL: defaults
    ("crm_export_csv_v2", "selection_json"),       // NULL: every record of the module
    ("crm_export_csv_v2", "options_json"),         // NULL: defaults
    ("crm_arrow_records", "columns_json"),         // NULL: every visible column
    ("crm_arrow_report", "options_json"),          // NULL: no options
];

/// One parameter of a prototype: its C type and name.
#[derive(Debug)]
struct Param {
    ty: String,
    name: String,
}

/// The `crm_status`-returning prototypes of the header: (name, params).
fn prototypes(header: &str) -> Vec<(String, Vec<Param>)> {
    let mut out = vec![];
    let mut rest = header;
    while let Some(i) = rest.find("\ncrm_status crm_") {
        let after = &rest[i + "\ncrm_status ".len()..];
        let Some(open) = after.find('(') else { break };
        let Some(close) = after.find(");") else { break };
        let name = after[..open].trim().to_string();
        let params = after[open + 1..close]
            .split(',')
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty() && p != "void")
            .map(|p| {
                let cut = p.rfind([' ', '*']).map_or(0, |k| k + 1);
                Param { ty: p[..cut].trim().to_string(), name: p[cut..].to_string() }
            })
            .collect();
        out.push((name, params));
        rest = &after[close..];
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Store,
    Str,
    OutStr,
    OutOther,
    Callback,
    UserData,
    Scalar,
}

fn kind(p: &Param) -> Kind {
    let t = p.ty.replace(' ', "");
    match t.as_str() {
        "structcrm_store*" | "conststructcrm_store*" => Kind::Store,
        "constchar*" => Kind::Str,
        "char**" => Kind::OutStr,
        "void*" => Kind::UserData,
        "crm_progress" | "crm_progress_v2" | "crm_mailer" | "crm_workflow_function" | "crm_record_fn" => Kind::Callback,
        _ if t.ends_with('*') => Kind::OutOther,
        _ => Kind::Scalar,
    }
}

/// A valid value of a parameter.
fn valid(p: &Param) -> String {
    match kind(p) {
        Kind::Store => "st".into(),
        Kind::Str => {
            let n = p.name.as_str();
            if n.contains("json") {
                "\"{}\"".into()
            } else if n == "module" {
                "\"Potentials\"".into()
            } else if n == "path" {
                "path".into()
            } else {
                "\"x\"".into()
            }
        }
        Kind::OutStr => "&out".into(),
        Kind::OutOther => format!("({})&scratch", p.ty),
        Kind::UserData => "NULL".into(),
        Kind::Callback => format!("cb_{}", p.ty),
        Kind::Scalar => match p.ty.as_str() {
            "bool" => "false".into(),
            _ => "1".into(),
        },
    }
}

/// The C source.
pub fn generate(header: &str) -> (String, usize) {
    let protos: Vec<_> =
        prototypes(header).into_iter().filter(|(n, _)| !matches!(n.as_str(), "crm_store_open" | "crm_callback_reply_set")).collect();
    let mut c = String::from(
        r#"/* GENERATED by crm-ffi/tests/support/misuse.rs from include/crm.h at test time: do not edit. */
#include "crm.h"
#include "check.h"

static const char *BAD_UTF8 = "Poten\xff\xfetials";
static char *out = NULL;
static uint64_t scratch[8];
static const char *path = NULL;

static void cb_crm_progress(void *user_data, uint64_t rows) { (void)user_data; (void)rows; }
static int32_t cb_crm_progress_v2(void *user_data, const struct crm_progress_info *info) { (void)user_data; (void)info; return 0; }
static int32_t cb_crm_record_fn(void *user_data, const char *record) { (void)user_data; (void)record; return 0; }
static int32_t cb_crm_mailer(void *user_data, const char *mail, struct crm_callback_reply *reply) {
    (void)user_data; (void)mail; (void)reply; return 0;
}
static int32_t cb_crm_workflow_function(void *user_data, const char *rec, struct crm_callback_reply *reply) {
    (void)user_data; (void)rec; (void)reply; return 0;
}

/* After each call: no panic; an error for a required argument; a message on failure; free any output. */
static void after(crm_status got, int must_fail, const char *what) {
    CHECK(got != CRM_STATUS_PANIC);
    if (must_fail) CHECK(got != CRM_OK);
    if (got != CRM_OK) CHECK(strlen(crm_last_error_message()) > 0);
    if ((must_fail && got == CRM_OK) || got == CRM_STATUS_PANIC) fprintf(stderr, "  misuse accepted or panicked: %s -> %u\n", what, (unsigned)got);
    if (out != NULL) { crm_string_free(out); out = NULL; }
}

int main(int argc, char **argv) {
    char file[4096];
    snprintf(file, sizeof file, "%s/nothing-here.csv", argc > 1 ? argv[1] : ".");
    path = file;
    crm_store *st = NULL;
    if (crm_store_open(":memory:", &st) != CRM_OK) return 2;
    CHECK(crm_user_add(st, "{\"user_name\":\"admin\"}", NULL) == CRM_OK);
    CHECK(crm_store_set_actor(st, "admin") == CRM_OK);
"#,
    );
    let mut calls = 0;
    for (name, params) in &protos {
        if name == "crm_store_free" || name == "crm_string_free" {
            continue;
        }
        let call = |args: &[String]| format!("{name}({})", args.join(", "));
        let base: Vec<String> = params.iter().map(valid).collect();
        c.push_str(&format!("    /* {name} */\n"));
        for (i, p) in params.iter().enumerate() {
            let k = kind(p);
            if matches!(k, Kind::Store | Kind::Str | Kind::OutStr | Kind::OutOther | Kind::Callback) {
                let mut a = base.clone();
                a[i] = "NULL".into();
                let must = matches!(k, Kind::Store | Kind::Str) && !OPTIONAL_STRINGS.contains(&(name.as_str(), p.name.as_str()));
                c.push_str(&format!("    after({}, {}, \"{name}: {} = NULL\");\n", call(&a), i32::from(must), p.name));
                calls += 1;
            }
            if k == Kind::Str {
                let mut a = base.clone();
                a[i] = "BAD_UTF8".into();
                c.push_str(&format!("    after({}, 1, \"{name}: {} invalid UTF-8\");\n", call(&a), p.name));
                calls += 1;
            }
            if k == Kind::Scalar && p.ty.contains("int") {
                for v in ["-1", "0", if p.ty.starts_with('u') { "UINT64_MAX" } else { "INT64_MAX" }] {
                    let mut a = base.clone();
                    a[i] = format!("({}){v}", p.ty);
                    c.push_str(&format!("    after({}, 0, \"{name}: {} = {v}\");\n", call(&a), p.name));
                    calls += 1;
                }
            }
        }
        c.push_str(&format!("    after({}, 0, \"{name}: plausible arguments\");\n", call(&base)));
        calls += 1;
    }
    c.push_str("    crm_store_free(st);\n    DONE();\n}\n");
    assert!(protos.len() >= 100, "parsed only {} prototypes from crm.h", protos.len());
    (c, calls)
}
