//! Label catalogues: what people read, per language (`en_us`, `fa_ir`), compiled in from one JSON file per
//! language (`en_us.json`, `fa_ir.json` beside this file).
//!
//! Keys are vtiger's language keys: a module's name (`Potentials` → its plural label) and `SINGLE_` + name
//! (its singular), block names (`LBL_OPPORTUNITY_INFORMATION`), field labels (`Sales Stage`; a
//! `Module::Label` key such as `Potentials::Amount` wins for that module), picklist values as stored
//! (`Closed Won`), task types and default workflow names, the default mail template
//! (`MAIL_POTENTIAL_CREATED_SUBJECT` / `_BODY`) and validation messages (`ERR_` + a
//! [`ValidationCode`](crate::ValidationCode) name, with `{label}`, `{value}`, `{field}`, `{module}`
//! placeholders). Both catalogues have exactly the same keys (a unit test fails otherwise), and every label
//! of the built-in schema has a key.
//!
//! Stored values never change with the language: a picklist stores `Closed Won` whatever the reader's
//! language, and is translated on the way out (as vtiger does). A text without a key (a custom field's
//! label, a value added by a user) is shown as it is, unless a custom label was given for the language
//! ([`Labels::with_custom`], [`Crm::set_label`](crate::Crm::set_label)).

use crate::error::{Error, Result};
use crate::schema::{Block, Field, Module};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The default language: vtiger's `en_us`.
pub const DEFAULT_LANGUAGE: &str = "en_us";

/// The installed languages, in this order.
pub const LANGUAGES: [&str; 2] = ["en_us", "fa_ir"];

const SOURCES: [(&str, &str); 2] = [("en_us", include_str!("en_us.json")), ("fa_ir", include_str!("fa_ir.json"))];

/// One language's catalogue: key → text.
///
/// Held as a sorted list searched by halving, not a hash map: the catalogues live for the whole process, and
/// a leak checker (valgrind, which the C tests run) reports a hash table's entries as "possibly lost"
/// because it points into the middle of its allocation.
#[derive(Debug)]
pub struct Catalogue {
    language: &'static str,
    texts: Vec<(String, String)>,
}

impl Catalogue {
    /// The language code (`fa_ir`).
    pub fn language(&self) -> &'static str {
        self.language
    }
    /// The text of `key`, if the catalogue has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        let i = self.texts.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
        self.texts.get(i).map(|(_, t)| t.as_str())
    }
    /// Every key, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.texts.iter().map(|(k, _)| k.as_str())
    }
    /// Every (key, text) pair, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.texts.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn all() -> &'static [Catalogue] {
    static ALL: OnceLock<Vec<Catalogue>> = OnceLock::new();
    ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(language, json)| Catalogue {
                language,
                // The files are part of the build and checked by the unit tests; a broken one reads as empty.
                texts: serde_json::from_str::<BTreeMap<String, String>>(json).unwrap_or_default().into_iter().collect(),
            })
            .collect()
    })
}

/// The catalogue of an installed language (`None` for any other code).
///
/// ```
/// let fa = crm_core::i18n::catalogue("fa_ir").unwrap();
/// assert_eq!(fa.get("Sales Stage"), Some("مرحله فروش"));
/// ```
pub fn catalogue(language: &str) -> Option<&'static Catalogue> {
    all().iter().find(|c| c.language == language)
}

/// Every installed catalogue.
pub fn catalogues() -> &'static [Catalogue] {
    all()
}

/// Reads a language code in any usual spelling (`fa_IR`, `fa-ir`, `fa`, `FA_ir`; `en`, `en-US`) as an
/// installed language's code.
///
/// # Errors
/// `InvalidArgument` naming the code and the installed languages.
pub fn language(code: &str) -> Result<&'static str> {
    let c = code.trim().to_ascii_lowercase().replace('-', "_");
    LANGUAGES
        .into_iter()
        .find(|l| *l == c || l.split('_').next() == Some(c.as_str()))
        .ok_or_else(|| Error::InvalidArgument(format!("language: unknown value '{code}' (one of {})", LANGUAGES.join(", "))))
}

/// What one reader sees: a language's catalogue plus the store's custom labels for that language.
#[derive(Debug, Clone)]
pub struct Labels {
    language: &'static str,
    custom: BTreeMap<String, String>,
}

impl Default for Labels {
    fn default() -> Self {
        Labels::new(DEFAULT_LANGUAGE)
    }
}

impl Labels {
    /// The labels of an installed language (the default language for any other code).
    pub fn new(language: &str) -> Self {
        Labels { language: self::language(language).unwrap_or(DEFAULT_LANGUAGE), custom: BTreeMap::new() }
    }

    /// Adds custom labels (key → text) that win over the catalogue.
    pub fn with_custom(mut self, custom: BTreeMap<String, String>) -> Self {
        self.custom = custom;
        self
    }

    /// The language code.
    pub fn language(&self) -> &'static str {
        self.language
    }

    /// The text of `key`: a custom label, else the catalogue's, else `None`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.custom.get(key).map(String::as_str).or_else(|| catalogue(self.language).and_then(|c| c.get(key)))
    }

    /// The text of `key`, or `fallback` when neither the custom labels nor the catalogue have it.
    pub fn text<'a>(&'a self, key: &str, fallback: &'a str) -> &'a str {
        self.get(key).unwrap_or(fallback)
    }

    /// A module's plural label.
    pub fn module<'a>(&'a self, m: &'a Module) -> &'a str {
        self.text(&m.name, &m.label)
    }

    /// A module's singular label.
    pub fn singular<'a>(&'a self, m: &'a Module) -> &'a str {
        self.text(&format!("SINGLE_{}", m.name), &m.singular)
    }

    /// A block's label (by its vtiger name; a block a user added, by its label).
    pub fn block<'a>(&'a self, b: &'a Block) -> &'a str {
        self.get(&b.name).or_else(|| self.get(&b.label)).unwrap_or(&b.label)
    }

    /// A field's label in module `module`: `Module::Label`, then `Label`, each custom first.
    pub fn field<'a>(&'a self, module: &str, f: &'a Field) -> &'a str {
        self.get(&format!("{module}::{}", f.label)).or_else(|| self.get(&f.label)).unwrap_or(&f.label)
    }

    /// A stored picklist value as shown (`Closed Won` → `برنده`).
    pub fn value<'a>(&'a self, value: &'a str) -> &'a str {
        self.text(value, value)
    }

    /// A validation message for `code` (a [`ValidationCode`](crate::ValidationCode) name) with its
    /// placeholders filled; `None` when the catalogue has no template.
    pub fn message(&self, code: &str, label: &str, value: &str) -> Option<String> {
        let t = self.get(&format!("ERR_{code}"))?;
        Some(t.replace("{label}", label).replace("{value}", value))
    }

    /// The module with its labels, block labels and field labels in this language (names unchanged).
    pub fn localize_module(&self, m: &Module) -> Module {
        let mut out = m.clone();
        out.label = self.module(m).to_string();
        out.singular = self.singular(m).to_string();
        for b in &mut out.blocks {
            b.label = self.block(b).to_string();
        }
        for f in &mut out.fields {
            f.label = self.field(&m.name, f).to_string();
        }
        out
    }
}

/// The stored picklist value a text names in any installed language (`برنده` → `Closed Won`), compared
/// with [`crate::text::fold`]; `None` when no catalogue translates one of `values` to it.
pub fn value_from_any_language<'a>(text: &str, values: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    let want = crate::text::fold(text.trim());
    catalogues().iter().find_map(|c| values.clone().find(|v| c.get(v).is_some_and(|t| crate::text::fold(t) == want)))
}

#[cfg(test)]
mod tests;
