//! Languages of a store: the store's language, each user's language (the acting user's wins), custom
//! labels per language, and the module layouts as a reader sees them ([`crate::i18n`]).
//!
//! All three are store settings (no table of their own): `language` (a code), `user_languages` (user name
//! → code) and `custom_labels` (code → key → text), so every handle on a store sees the same.

use super::Crm;
use crate::error::{Error, Result};
use crate::i18n::{self, Labels};
use crate::schema::Module;
use crate::storage::{Change, ChangeSet, ViewChange};
use std::collections::BTreeMap;

const LANGUAGE: &str = "language";
const USER_LANGUAGES: &str = "user_languages";
const CUSTOM_LABELS: &str = "custom_labels";

impl Crm {
    fn json_setting<T: serde::de::DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        match self.store.setting(key)? {
            Some(j) => serde_json::from_str(&j).map_err(|e| Error::invalid(format!("stored {key}: {e}"))),
            None => Ok(T::default()),
        }
    }

    fn put_setting(&mut self, key: &str, value: String) -> Result<()> {
        self.commit(&ChangeSet(vec![Change::View(ViewChange::PutSetting { key: key.into(), value })]))
    }

    /// The installed languages (`["en_us", "fa_ir"]`).
    pub fn languages(&self) -> Vec<&'static str> {
        i18n::LANGUAGES.to_vec()
    }

    /// The store's language (default `en_us`): what users without a language of their own read.
    ///
    /// # Errors
    /// Storage errors.
    pub fn store_language(&self) -> Result<&'static str> {
        self.held_read(
            |h| &mut h.language,
            || {
                Ok(match self.store.setting(LANGUAGE)? {
                    Some(code) => i18n::language(&code).unwrap_or(i18n::DEFAULT_LANGUAGE),
                    None => i18n::DEFAULT_LANGUAGE,
                })
            },
        )
    }

    /// Sets the store's language (`"fa_ir"`, also `"fa"`, `"fa-IR"`). The default workflows no one edited
    /// are rewritten in it: their names, task summaries and the creation mail's subject and body (a workflow
    /// with any text of its own is left as it is).
    ///
    /// # Errors
    /// `InvalidArgument` for a language that is not installed.
    pub fn set_language(&mut self, code: &str) -> Result<()> {
        let code = i18n::language(code)?;
        self.put_setting(LANGUAGE, code.to_string())?;
        // The default workflows no one edited follow the store's language (names, summaries, mail).
        self.localize_default_workflows(code)
    }

    /// A user's own language, if one was set ([`crate::NewUser::language`], [`Crm::set_user_language`]).
    ///
    /// # Errors
    /// Storage errors.
    pub fn user_language(&self, user_name: &str) -> Result<Option<&'static str>> {
        let map: BTreeMap<String, String> = self.json_setting(USER_LANGUAGES)?;
        let want = user_name.trim().to_lowercase();
        Ok(map.iter().find(|(u, _)| u.to_lowercase() == want).and_then(|(_, c)| i18n::language(c).ok()))
    }

    /// Sets (or with `None` clears) a registered user's language.
    ///
    /// # Errors
    /// `NotFound` for an unknown user; `InvalidArgument` for a language that is not installed.
    pub fn set_user_language(&mut self, user_name: &str, code: Option<&str>) -> Result<()> {
        let user = self.user(user_name)?;
        let code = code.map(i18n::language).transpose()?;
        let mut map: BTreeMap<String, String> = self.json_setting(USER_LANGUAGES)?;
        match code {
            Some(c) => map.insert(user.user_name, c.to_string()),
            None => map.remove(&user.user_name),
        };
        let value = serde_json::to_string(&map).map_err(|e| Error::invalid(e.to_string()))?;
        self.put_setting(USER_LANGUAGES, value)
    }

    /// The language the acting user reads: their own, else the store's.
    ///
    /// # Errors
    /// Storage errors.
    pub fn language(&self) -> Result<&'static str> {
        if let Some(u) = self.actor()
            && let Some(l) = self.user_language(&u.user_name)?
        {
            return Ok(l);
        }
        self.store_language()
    }

    /// Sets a custom label for a language: `key` is a catalogue key (`Potentials`, `Sales Stage`,
    /// `Potentials::Amount`, a picklist value) or a custom field's or block's label; an empty `text`
    /// removes it.
    ///
    /// ```
    /// use crm_core::{Crm, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("sara").language("fa_ir"))?;
    /// crm.set_actor("sara")?;
    /// crm.set_label("fa_ir", "Sales Stage", "مرحله")?;
    /// let amount = crm.fields("Potentials")?.into_iter().find(|f| f.name == "sales_stage").unwrap();
    /// assert_eq!(amount.label, "مرحله");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` for a language that is not installed or an empty key.
    pub fn set_label(&mut self, code: &str, key: &str, text: &str) -> Result<()> {
        let code = i18n::language(code)?;
        if key.trim().is_empty() {
            return Err(Error::invalid("a custom label needs a key"));
        }
        let mut all: BTreeMap<String, BTreeMap<String, String>> = self.json_setting(CUSTOM_LABELS)?;
        let labels = all.entry(code.to_string()).or_default();
        if text.trim().is_empty() {
            labels.remove(key);
        } else {
            labels.insert(key.to_string(), text.to_string());
        }
        let value = serde_json::to_string(&all).map_err(|e| Error::invalid(e.to_string()))?;
        self.put_setting(CUSTOM_LABELS, value)
    }

    /// The custom labels of a language (key → text).
    ///
    /// # Errors
    /// `InvalidArgument` for a language that is not installed.
    pub fn custom_labels(&self, code: &str) -> Result<BTreeMap<String, String>> {
        let code = i18n::language(code)?;
        let mut all: BTreeMap<String, BTreeMap<String, String>> = self.json_setting(CUSTOM_LABELS)?;
        Ok(all.remove(code).unwrap_or_default())
    }

    /// The labels of a language with the store's custom labels.
    ///
    /// # Errors
    /// `InvalidArgument` for a language that is not installed; storage errors.
    pub fn labels_for(&self, code: &str) -> Result<Labels> {
        Ok(Labels::new(i18n::language(code)?).with_custom(self.custom_labels(code)?))
    }

    /// The labels the acting user reads ([`Crm::language`]).
    ///
    /// # Errors
    /// Storage errors.
    pub fn labels(&self) -> Result<Labels> {
        self.labels_for(self.language()?)
    }

    /// The labels of every installed language (for reading files made in any of them).
    pub(crate) fn every_language_labels(&self) -> Result<Vec<Labels>> {
        i18n::LANGUAGES.iter().map(|l| self.labels_for(l)).collect()
    }

    /// A module as the acting user reads it: its label, block labels and field labels in their language
    /// (names, types and everything else unchanged).
    ///
    /// # Errors
    /// `NotFound` for an unknown module; storage errors.
    pub fn localized_module(&self, module: &str) -> Result<Module> {
        let m = self.module(module)?.clone();
        Ok(self.labels()?.localize_module(&m))
    }

    /// A validation error with its messages in the acting user's language (`ERR_` templates of the
    /// catalogue, the field labels translated); other errors, and every error for `en_us` readers (whose
    /// messages are built in English with more detail), unchanged.
    pub(crate) fn localize_error(&self, module: Option<&str>, e: Error) -> Error {
        let Error::Validation(errs) = e else { return e };
        let labels = match self.labels() {
            Ok(l) if l.language() != i18n::DEFAULT_LANGUAGE => l,
            _ => return Error::Validation(errs),
        };
        let m = module.and_then(|m| self.module(m).ok());
        let out = errs.0.into_iter().map(|fe| localize_field_error(&labels, m, fe)).collect();
        Error::Validation(crate::error::ValidationErrors(out))
    }

    /// [`Crm::localize_error`] for an update of record `id`.
    pub(crate) fn localize_update_error(&self, id: crate::value::RecordId, e: Error) -> Error {
        if !matches!(e, Error::Validation(_)) {
            return e;
        }
        let module = self.load(id).map(|r| r.module).ok();
        self.localize_error(module.as_deref(), e)
    }

    /// The fields of a module in layout order, labelled in the acting user's language.
    ///
    /// # Errors
    /// As [`Crm::localized_module`].
    pub fn fields(&self, module: &str) -> Result<Vec<crate::schema::Field>> {
        let m = self.localized_module(module)?;
        Ok(m.fields_in_layout_order().into_iter().cloned().collect())
    }
}

/// One validation problem with its message in `labels`' language (the `ERR_` template of its code, the
/// field's label translated); unchanged for `en_us` readers (whose messages are built in English with more
/// detail) and for codes without a template.
pub(crate) fn localize_field_error(labels: &Labels, m: Option<&Module>, mut fe: crate::error::FieldError) -> crate::error::FieldError {
    if labels.language() == i18n::DEFAULT_LANGUAGE {
        return fe;
    }
    let label = m.and_then(|m| m.field(&fe.field).map(|f| labels.field(&m.name, f).to_string())).unwrap_or_else(|| fe.field.clone());
    // The value an English message quotes ('12abc'), for the templates that show it.
    let value = fe.message.split('\'').nth(1).unwrap_or_default().to_string();
    if let Some(text) = labels.message(fe.code.as_str(), &label, &value) {
        fe.message = text.replace("{field}", &fe.field).replace("{module}", m.map(|m| m.name.as_str()).unwrap_or_default());
    }
    fe
}
