//! vCard import: cards become Contacts linked to their organization, optionally each with a new opportunity.

use super::{RowInput, Run, problem};
use crate::error::{Error, Result};
use crate::io::vcard::{ContactCard, parse_cards};
use crate::io::{ImportJournal, ImportOptions, ImportReport};
use crate::record::Fields;
use crate::service::Crm;
use crate::service::progress::{Progress, ProgressUnit, ProgressUpdate, report};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The opportunity created for each new customer of a vCard import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewCustomerOpportunity {
    /// Name template: `{name}` (contact), `{organization}` (or the contact's name when none).
    pub name_template: String,
    /// Sales stage of the new opportunity.
    pub sales_stage: String,
    /// Expected close date = today + this many days.
    pub close_in_days: u32,
}

impl Default for NewCustomerOpportunity {
    fn default() -> Self {
        Self { name_template: "{organization} - new customer".into(), sales_stage: "Prospecting".into(), close_in_days: 30 }
    }
}

/// Options of a vCard import. The defaults, the same from Rust, C (JSON, missing keys) and Python (keywords
/// not given): a contact whose e-mail is already a contact's is skipped (`duplicates: "skip"`,
/// `match_on: ["email"]`), organizations are created, no opportunity.
///
/// ```
/// use crm_core::io::Duplicates;
/// use crm_core::VcardImportOptions;
/// let given: VcardImportOptions = serde_json::from_str(r#"{"import": {"dry_run": true}}"#).unwrap();
/// assert!(given.import.dry_run);
/// assert_eq!(given.import.duplicates, Duplicates::Skip); // keys not given keep the vCard defaults
/// assert_eq!(given.import.match_on, ["email"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VcardImportOptions {
    /// Duplicates, match fields, dry run, batch size, defaults, encoding (see the defaults above; the keys
    /// a caller leaves out keep them). CSV-only keys are ignored; organizations follow
    /// `create_organizations`.
    #[serde(deserialize_with = "over_vcard_defaults")]
    pub import: ImportOptions,
    /// Create one opportunity per newly created contact.
    pub opportunity: Option<NewCustomerOpportunity>,
    /// Link each contact to the organization named by ORG, creating it when missing (default true, as
    /// vtiger). When false, an unknown organization is left out with a note.
    pub create_organizations: bool,
}

impl Default for VcardImportOptions {
    fn default() -> Self {
        Self { import: vcard_import_defaults(), opportunity: None, create_organizations: true }
    }
}

/// The import options a vCard import starts from.
fn vcard_import_defaults() -> ImportOptions {
    ImportOptions {
        duplicates: crate::io::Duplicates::Skip,
        match_on: vec!["email".into()],
        create_missing_references: true,
        ..ImportOptions::default()
    }
}

/// Reads the `import` options as the keys given laid over [`vcard_import_defaults`].
fn over_vcard_defaults<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<ImportOptions, D::Error> {
    use serde::de::Error as _;
    let given = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
    let serde_json::Value::Object(mut all) = serde_json::to_value(vcard_import_defaults()).map_err(D::Error::custom)? else {
        return Err(D::Error::custom("import options are not an object"));
    };
    all.extend(given);
    serde_json::from_value(serde_json::Value::Object(all)).map_err(D::Error::custom)
}

impl Crm {
    /// Imports vCards (2.1, 3.0, 4.0) as Contacts, each linked to its organization (ORG, found by name or
    /// created), optionally with one new opportunity per new contact. A broken card is reported with its
    /// position; the others import. The file is decoded with `options.import.encoding` (default UTF-8).
    /// The file is read whole: at most [`MAX_VCARD_FILE_BYTES`](crate::io::vcard::MAX_VCARD_FILE_BYTES).
    ///
    /// # Errors
    /// `InvalidArgument` for a file with no card (empty, binary) or too large, or options out of range
    /// (naming the option); storage errors. Garbage lines between cards fail one by one with their line.
    pub fn import_vcard<R: Read>(&mut self, reader: R, options: &VcardImportOptions, progress: Progress<'_>) -> Result<ImportReport> {
        let out = self.import_vcard_run(reader, options, progress, None);
        self.set_dry_numbers(false); // a dry run counts auto-numbers until here, also when it failed
        out
    }

    /// Resumes a vCard import that was interrupted (stopped by a progress sink, or the process died): the
    /// cards its journal counts — whole committed batches — are skipped, the rest of the file is imported
    /// under the same import id, so that [`Crm::undo_import`] undoes both parts at once. Pass the same
    /// file and the same options as the interrupted run. The returned report counts the whole import; row
    /// reports cover the resumed part only.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Flow, NewUser, ProgressFn, ProgressUpdate, VcardImportOptions};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let cards = "BEGIN:VCARD\nVERSION:3.0\nN:Doe;Jane\nEMAIL:jane@example.com\nEND:VCARD\n\
    ///              BEGIN:VCARD\nVERSION:3.0\nN:Roe;Rick\nEMAIL:rick@example.com\nEND:VCARD\n";
    /// let mut options = VcardImportOptions::default();
    /// options.import.batch_size = 1;
    /// let mut stop = ProgressFn(|_: ProgressUpdate| Flow::Stop); // stop after the first batch
    /// let first = crm.import_vcard(cards.as_bytes(), &options, Some(&mut stop))?;
    /// assert!(first.interrupted);
    /// let all = crm.resume_import_vcard(first.import_id, cards.as_bytes(), &options, None)?;
    /// assert_eq!((all.rows, all.created, all.interrupted), (2, 2, false));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown import; `Conflict` when the import is not interrupted (completed or
    /// undone) or is not a vCard import; `InvalidArgument` for a dry run; otherwise as
    /// [`Crm::import_vcard`].
    pub fn resume_import_vcard<R: Read>(
        &mut self,
        import_id: i64,
        reader: R,
        options: &VcardImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?;
        let journal = self.resumable(import_id, "vcard", &options.import)?;
        self.import_vcard_run(reader, options, progress, Some(journal))
    }

    /// A vCard import from its start, or (`resume`) continuing an interrupted one past the cards its
    /// journal counts.
    pub(super) fn import_vcard_run<R: Read>(
        &mut self,
        mut reader: R,
        options: &VcardImportOptions,
        progress: Progress<'_>,
        resume: Option<ImportJournal>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?; // see the schema other handles stored
        let mut progress = progress;
        let mut bytes = Vec::new();
        let limit = crate::io::vcard::MAX_VCARD_FILE_BYTES;
        (&mut reader).take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::invalid(format!("cannot read the file: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(Error::invalid(format!("the vCard file is larger than {limit} bytes; split it or import it as CSV")));
        }
        if bytes.iter().all(|b| b.is_ascii_whitespace()) || bytes == b"\xEF\xBB\xBF" {
            return Err(Error::invalid("the file is empty"));
        }
        options.import.validate()?;
        let (text, _, _) = options.import.encoding.codec().decode(&bytes);
        if !crate::io::vcard::has_card(&text) {
            return Err(Error::invalid("no BEGIN:VCARD found: not a vCard file"));
        }
        if let Some(o) = &options.opportunity {
            crate::io::options::close_date(self.today(), o.close_in_days)?;
        }
        let to_skip = resume.as_ref().map_or(0, |j| j.rows);
        let mut run = match resume {
            Some(journal) => {
                let mut run = self.resume_run(journal, options.import.clone())?;
                run.opportunity = options.opportunity.clone();
                run
            }
            None => self.start_run("Contacts", "vcard", options.import.clone(), options.opportunity.clone())?,
        };
        let create_orgs = options.create_organizations;
        let an_state = self.auto_number("Contacts").ok();
        let cards = parse_cards(&text);
        let total = cards.len() as u64;
        let update = |rows: u64| ProgressUpdate { done: rows, total: Some(total), unit: ProgressUnit::Rows, rows };
        let to_skip = usize::try_from(to_skip).unwrap_or(usize::MAX);
        for (pos, card) in cards.into_iter().skip(to_skip) {
            if run.report.rows >= run.options.max_rows {
                self.stop_at_row_limit(&mut run, pos);
                break;
            }
            run.report.rows += 1;
            let input = match card {
                Err(msg) => {
                    let note = run.say("INVALID_CARD", &[("detail", &msg)]);
                    RowInput { line: pos, problems: vec![problem(None, None, "invalid_card", note)], ..Default::default() }
                }
                Ok(c) => contact_input(pos, c),
            };
            let mut input = input;
            if let Some(org) = input.organization.take() {
                if self.resolve_reference(&["Accounts".to_string()], &org)?.is_some() || create_orgs {
                    input.fields.set("account_id", format!("Accounts::::{org}"));
                    run.options.create_missing_references = create_orgs;
                } else {
                    input.notes.push(problem(
                        None,
                        Some("account_id"),
                        "organization_not_found",
                        run.say("ORGANIZATION_NOT_FOUND", &[("name", &org)]),
                    ));
                }
            }
            self.process_row(&mut run, input)?;
            if run.batch.len() >= run.options.batch_size.max(1) {
                self.flush(&mut run)?;
                if report(&mut progress, update(run.rows_done_total())) {
                    self.interrupt_run(&mut run)?;
                    return Ok(run.report);
                }
            }
        }
        self.finish_run(&mut run, an_state)?;
        report(&mut progress, update(run.report.rows));
        Ok(run.report)
    }

    pub(super) fn create_opportunities(&mut self, run: &mut Run) -> Result<()> {
        let Some(o) = run.opportunity.clone() else {
            return Ok(());
        };
        let contacts = std::mem::take(&mut run.new_contacts);
        let close = crate::io::options::close_date(self.today(), o.close_in_days)?;
        for (contact, org, name, _) in contacts {
            let org_name = match org {
                Some(id) => self.store.get(id)?.map(|r| r.label).unwrap_or_else(|| name.clone()),
                None => name.clone(),
            };
            let title = o.name_template.replace("{name}", &name).replace("{organization}", &org_name);
            let mut f = Fields::new()
                .with("potentialname", title)
                .with("sales_stage", o.sales_stage.as_str())
                .with("closingdate", close)
                .with("contact_id", contact);
            if let Some(org) = org {
                f.set("related_to", org);
            }
            if let Err(e) = self.create_on_the_way(run, "Potentials", f, 0)? {
                let e = self.localize_error(Some("Potentials"), e);
                let note = run.say("NO_OPPORTUNITY", &[("contact", &contact.to_string()), ("detail", &e.to_string())]);
                run.report.warnings.push(note);
            }
        }
        Ok(())
    }
}

pub(super) fn contact_input(pos: u64, c: ContactCard) -> RowInput {
    let mut input = RowInput { line: pos, ..Default::default() };
    let f = &mut input.fields;
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|s| !s.trim().is_empty()) {
            f.set(k, v);
        }
    };
    set("salutationtype", c.salutation.clone().filter(|s| ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."].contains(&s.as_str())));
    set("firstname", c.first_name);
    set("lastname", Some(c.last_name));
    set("department", c.department);
    set("title", c.title);
    let mut emails = c.emails.into_iter();
    set("email", emails.next());
    set("secondaryemail", emails.next());
    set("phone", c.phone);
    set("mobile", c.mobile);
    set("homephone", c.home_phone);
    set("fax", c.fax);
    set("otherphone", c.other_phone);
    set("mailingstreet", c.street);
    set("mailingpobox", c.po_box);
    set("mailingcity", c.city);
    set("mailingstate", c.state);
    set("mailingzip", c.zip);
    set("mailingcountry", c.country);
    set("description", c.note);
    if let Some(b) = c.birthday {
        input.fields.set("birthday", b);
    }
    input.organization = c.organization;
    input
}
