//! Catalogue completeness: both catalogues have the same keys, and every text the engine shows has one.

use super::*;
use crate::ValidationCode as V;
use crate::schema::Schema;
use std::collections::BTreeSet;

/// Every validation code (the match is exhaustive inside the crate, so a new code fails to compile here
/// until it is listed).
fn every_code() -> Vec<&'static str> {
    let all = [
        V::Required,
        V::UnknownField,
        V::InvalidType,
        V::InvalidFormat,
        V::TooLong,
        V::OutOfRange,
        V::UnknownPicklistValue,
        V::InvalidReference,
        V::UnknownOwner,
        V::ReadOnly,
        V::NotAllowed,
        V::UnknownCurrency,
        V::MissingRate,
        V::Duplicate,
    ];
    for c in all {
        match c {
            V::Required
            | V::UnknownField
            | V::InvalidType
            | V::InvalidFormat
            | V::TooLong
            | V::OutOfRange
            | V::UnknownPicklistValue
            | V::InvalidReference
            | V::UnknownOwner
            | V::ReadOnly
            | V::NotAllowed
            | V::UnknownCurrency
            | V::MissingRate
            | V::Duplicate => {}
        }
    }
    all.iter().map(|c| c.as_str()).collect()
}

/// The keys the engine looks up: the built-in schema's labels, the validation messages, the default
/// workflows' names, task summaries and task types, the mail template, the stage kinds.
fn needed_keys() -> BTreeSet<String> {
    let s = Schema::builtin();
    let mut keys = BTreeSet::new();
    for m in s.modules.values() {
        keys.insert(m.name.clone());
        keys.insert(format!("SINGLE_{}", m.name));
        keys.extend(m.blocks.iter().map(|b| b.name.clone()));
        for f in &m.fields {
            let specific = format!("{}::{}", m.name, f.label);
            keys.insert(if catalogue("fa_ir").and_then(|c| c.get(&specific)).is_some() { specific } else { f.label.clone() });
        }
    }
    for p in s.picklists.values() {
        keys.extend(p.values.iter().map(|v| v.value.clone()));
    }
    keys.extend(every_code().into_iter().map(|c| format!("ERR_{c}")));
    let wfs: serde_json::Value = serde_json::from_str(crate::service::workflows::DEFAULT_WORKFLOWS).unwrap();
    for w in wfs.as_array().unwrap() {
        keys.insert(w["workflowname"].as_str().unwrap().to_string());
        for t in w["tasks"].as_array().unwrap() {
            keys.insert(t["summary"].as_str().unwrap().to_string());
            keys.insert(t["task_type"].as_str().unwrap().to_string());
        }
    }
    for k in
        ["MAIL_POTENTIAL_CREATED_SUBJECT", "MAIL_POTENTIAL_CREATED_BODY", "LBL_KIND_open", "LBL_KIND_won", "LBL_KIND_lost", "LBL_TOTAL"]
    {
        keys.insert(k.to_string());
    }
    keys
}

#[test]
fn every_catalogue_has_every_key_and_no_other() {
    let needed = needed_keys();
    let en: BTreeSet<&str> = catalogue("en_us").unwrap().keys().collect();
    assert!(en.len() > 300, "en_us did not load ({} keys)", en.len());
    for c in catalogues() {
        let keys: BTreeSet<&str> = c.keys().collect();
        let missing: Vec<&String> = needed.iter().filter(|k| !keys.contains(k.as_str())).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", c.language());
        let unlike: Vec<_> = keys.symmetric_difference(&en).collect();
        assert!(unlike.is_empty(), "{} and en_us differ in {unlike:?}", c.language());
        assert!(c.entries().all(|(_, t)| !t.trim().is_empty()), "{} has an empty text", c.language());
    }
}

#[test]
fn english_is_vtiger_s_text_and_persian_is_the_glossary_s() {
    let s = Schema::builtin();
    let en = Labels::new("en_us");
    let p = s.module("Potentials").unwrap();
    assert!(p.fields.iter().all(|f| en.field("Potentials", f) == f.label));
    assert_eq!(en.module(p), p.label);
    let fa = Labels::new("fa_ir");
    assert_eq!(fa.module(p), "فرصت های فروش");
    assert_eq!(fa.singular(p), "فرصت فروش");
    assert_eq!(fa.field("Potentials", p.field("amount").unwrap()), "مقدار");
    assert_eq!(fa.field("Accounts", s.module("Accounts").unwrap().field("annual_revenue").unwrap()), "درآمد سالانه");
    assert_eq!(fa.value("Closed Won"), "برنده");
    assert_eq!(fa.block(&p.blocks[0]), "اطلاعات فرصت");
    assert_eq!(fa.message("required", "مرحله فروش", "").as_deref(), Some("مرحله فروش الزامی است"));
}

#[test]
fn translated_labels_are_unique_within_a_module() {
    // Import maps a header to the field whose label (in any language) it names: two fields of one module
    // may not share a translation.
    let s = Schema::builtin();
    for lang in LANGUAGES {
        let l = Labels::new(lang);
        for m in s.modules.values() {
            let mut seen = std::collections::BTreeMap::new();
            for f in &m.fields {
                let key = crate::io::csv_import::key(l.field(&m.name, f));
                if let Some(other) = seen.insert(key, &f.name) {
                    panic!("{lang}: {}.{} and {} have the same label", m.name, f.name, other);
                }
            }
        }
    }
}

#[test]
fn languages_and_values_are_read_in_any_spelling() {
    assert_eq!(language("fa-IR").unwrap(), "fa_ir");
    assert_eq!(language("fa").unwrap(), "fa_ir");
    assert_eq!(language("EN_US").unwrap(), "en_us");
    assert!(language("xx").unwrap_err().to_string().contains("one of en_us, fa_ir"));
    let stages = ["Prospecting", "Closed Won", "Closed Lost"];
    assert_eq!(value_from_any_language("برنده", stages.iter().copied()), Some("Closed Won"));
    assert_eq!(value_from_any_language("مشتري يابي", stages.iter().copied()), Some("Prospecting"));
    assert_eq!(value_from_any_language("nothing", stages.iter().copied()), None);
}
