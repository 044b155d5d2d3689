//! Languages of `crm.Crm`: the store's language, each user's, custom labels per language.

use crate::crm::Crm;
use crate::engine::Access;
use pyo3::prelude::*;
use std::collections::BTreeMap;

#[pymethods]
impl Crm {
    /// The installed languages (`["en_us", "fa_ir"]`).
    fn languages(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.languages().into_iter().map(str::to_string).collect()))
    }

    /// The language the acting user reads: their own, else the store's.
    fn language(&self, py: Python<'_>) -> PyResult<String> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.language()?.to_string()))
    }

    /// Sets the store's language (`"fa_ir"`, also `"fa"` or `"fa-IR"`), used by users without one of
    /// their own: field labels, picklist values in exports and reports, validation messages.
    fn set_language(&self, py: Python<'_>, language: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_language(&language)?))
    }

    /// Sets a user's own language (None: the store's from now on).
    #[pyo3(signature = (user_name, language))]
    fn set_user_language(&self, py: Python<'_>, user_name: String, language: Option<String>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_user_language(&user_name, language.as_deref())?))
    }

    /// Sets a custom label of a language: `key` is a catalogue key (`"Sales Stage"`,
    /// `"Potentials::Amount"`, a picklist value, a custom field's label); an empty `text` removes it.
    fn set_label(&self, py: Python<'_>, language: String, key: String, text: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_label(&language, &key, &text)?))
    }

    /// The custom labels of a language, key → text.
    fn custom_labels(&self, py: Python<'_>, language: String) -> PyResult<BTreeMap<String, String>> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.custom_labels(&language)?))
    }
}
