//! The built-in modules, declared in one place.
//!
//! Field names, UI labels (en_us), types, mandatory and quick-create flags and blocks follow a fresh vtiger
//! 7.x/8.x install after its migrations (see `shared/reference/vtiger-potentials.md` §1–2). Each field is one
//! line: name, label, type and a compact flag string:
//!
//! | flag | meaning |
//! | --- | --- |
//! | `M` | mandatory |
//! | `Q<n>` | in quick create, at position n |
//! | `A` / `H` | always shown (presence 0) / hidden (presence 1); default is shown-can-hide (2) |
//! | `S` | maintained by crm (system), read-only for callers |
//! | `X` | not mass-editable |
//! | `L<n>` | maximum length |
//! | `P<p>,<s>` | decimal precision and scale |
//! | `R<Mod>[,<Mod>]` | reference to these modules |
//! | `K<name>` | uses the picklist of that name |
//! | `D<value>` | default value |
//! | `U<n>` | vtiger uitype |
//!
//! Beyond vtiger, each sales stage carries a kind (open/won/lost) and a default probability.

use super::{
    AutoNumber as AutoNumberConfig, Block, Field, FieldType, Maintained, Module, Picklist, PicklistValue, Presence, Schema, Settings,
    StageKind, StageMeta,
};
use FieldType::*;
use rust_decimal::Decimal;

/// The full built-in schema.
pub fn schema() -> Schema {
    let modules = [
        potentials(),
        accounts(),
        contacts(),
        leads(),
        calendar(),
        products(),
        services(),
        documents(),
        quotes(),
        sales_order(),
        invoice(),
        campaigns(),
    ];
    Schema {
        version: 1,
        modules: modules.into_iter().map(|m| (m.name.clone(), m)).collect(),
        picklists: picklists().into_iter().map(|p| (p.name.clone(), p)).collect(),
        settings: Settings::default(),
    }
}

/// The sales stages in vtiger's order, with kind and default probability.
pub const SALES_STAGES: [(&str, StageKind, i64); 10] = [
    ("Prospecting", StageKind::Open, 10),
    ("Qualification", StageKind::Open, 20),
    ("Needs Analysis", StageKind::Open, 25),
    ("Value Proposition", StageKind::Open, 30),
    ("Id. Decision Makers", StageKind::Open, 40),
    ("Perception Analysis", StageKind::Open, 50),
    ("Proposal or Price Quote", StageKind::Open, 65),
    ("Negotiation or Review", StageKind::Open, 80),
    ("Closed Won", StageKind::Won, 100),
    ("Closed Lost", StageKind::Lost, 0),
];

fn picklists() -> Vec<Picklist> {
    let stages = Picklist {
        name: "sales_stage".into(),
        values: SALES_STAGES
            .iter()
            .map(|(v, kind, p)| PicklistValue {
                value: (*v).into(),
                editable: *kind == StageKind::Open,
                stage: Some(StageMeta { kind: *kind, probability: Decimal::from(*p) }),
                roles: vec![],
            })
            .collect(),
    };
    let simple = |name: &str, values: &[&str]| Picklist {
        name: name.into(),
        values: values.iter().map(|v| PicklistValue { value: (*v).into(), editable: true, stage: None, roles: vec![] }).collect(),
    };
    vec![
        stages,
        crate::analytics::schema::forecast_category_picklist(),
        crate::analytics::schema::lost_reason_picklist(),
        simple("opportunity_type", &["Existing Business", "New Business"]),
        simple(
            "leadsource",
            &[
                "Cold Call",
                "Existing Customer",
                "Self Generated",
                "Employee",
                "Partner",
                "Public Relations",
                "Direct Mail",
                "Conference",
                "Trade Show",
                "Web Site",
                "Word of mouth",
                "Other",
            ],
        ),
        simple(
            "industry",
            &[
                "Apparel",
                "Banking",
                "Biotechnology",
                "Chemicals",
                "Communications",
                "Construction",
                "Consulting",
                "Education",
                "Electronics",
                "Energy",
                "Engineering",
                "Entertainment",
                "Environmental",
                "Finance",
                "Food & Beverage",
                "Government",
                "Healthcare",
                "Hospitality",
                "Insurance",
                "Machinery",
                "Manufacturing",
                "Media",
                "Not For Profit",
                "Recreation",
                "Retail",
                "Shipping",
                "Technology",
                "Telecommunications",
                "Transportation",
                "Utilities",
                "Other",
            ],
        ),
        simple("rating", &["Acquired", "Active", "Market Failed", "Project Cancelled", "Shutdown"]),
        simple(
            "accounttype",
            &["Analyst", "Competitor", "Customer", "Integrator", "Investor", "Partner", "Press", "Prospect", "Reseller", "Other"],
        ),
        simple("salutationtype", &["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."]),
        simple(
            "leadstatus",
            &[
                "Attempted to Contact",
                "Cold",
                "Contact in Future",
                "Contacted",
                "Hot",
                "Junk Lead",
                "Lost Lead",
                "Not Contacted",
                "Pre Qualified",
                "Qualified",
                "Warm",
            ],
        ),
        simple("activitytype", &["Call", "Meeting", "Task"]),
        simple("taskstatus", &["Not Started", "In Progress", "Completed", "Pending Input", "Deferred", "Planned"]),
        simple("eventstatus", &["Planned", "Held", "Not Held"]),
        simple("taskpriority", &["High", "Medium", "Low"]),
        simple("productcategory", &["Hardware", "Software", "CRM Applications"]),
        simple(
            "usageunit",
            &[
                "Box",
                "Carton",
                "Dozen",
                "Each",
                "Hours",
                "Impressions",
                "Lb",
                "M",
                "Pack",
                "Pages",
                "Pieces",
                "Quantity",
                "Reams",
                "Sheet",
                "Spiral Binder",
                "Sq Ft",
            ],
        ),
        simple("servicecategory", &["Support", "Installation", "Migration", "Customization", "Training"]),
        simple("service_usageunit", &["Hours", "Days", "Incidents"]),
        simple("quotestage", &["Created", "Delivered", "Reviewed", "Accepted", "Rejected"]),
        simple("sostatus", &["Created", "Approved", "Delivered", "Cancelled"]),
        simple("invoicestatus", &["AutoCreated", "Created", "Approved", "Sent", "Credit Invoice", "Paid", "Cancel"]),
        simple(
            "campaigntype",
            &[
                "Conference",
                "Webinar",
                "Trade Show",
                "Public Relations",
                "Partners",
                "Referral Program",
                "Advertisement",
                "Banner Ads",
                "Direct Mail",
                "Email",
                "Telemarketing",
                "Others",
            ],
        ),
        simple("campaignstatus", &["Planning", "Active", "Inactive", "Completed", "Cancelled"]),
        simple("expectedresponse", &["Excellent", "Good", "Average", "Poor"]),
    ]
}

/// Builds one module from blocks of compact field lines.
struct Def {
    module: Module,
    block: String,
}

impl Def {
    fn new(name: &str, label: &str, singular: &str, entity: &[&str]) -> Self {
        Def {
            module: Module {
                name: name.into(),
                label: label.into(),
                singular: singular.into(),
                entity_fields: entity.iter().map(|s| (*s).into()).collect(),
                blocks: vec![],
                fields: vec![],
                auto_number: None,
                indexes: vec![],
                duplicate_rules: vec![],
                compulsory: vec![],
                indexed: vec![],
                dependencies: vec![],
            },
            block: String::new(),
        }
    }

    fn block(mut self, name: &str, label: &str) -> Self {
        let sequence = self.module.blocks.len() as u32 + 1;
        self.module.blocks.push(Block { name: name.into(), label: label.into(), sequence, custom: false });
        self.block = name.into();
        self
    }

    fn f(mut self, name: &str, label: &str, field_type: FieldType, flags: &str) -> Self {
        let sequence = self.module.fields.iter().filter(|f| f.block == self.block).count() as u32 + 1;
        let mut field = Field {
            name: name.into(),
            label: label.into(),
            field_type,
            block: self.block.clone(),
            sequence,
            mandatory: false,
            quick_create: false,
            quick_create_sequence: None,
            presence: Presence::Shown,
            default: None,
            max_length: None,
            precision: None,
            scale: None,
            mass_editable: true,
            custom: false,
            maintained: Maintained::User,
            references: vec![],
            picklist: None,
            uitype: default_uitype(field_type),
        };
        for flag in flags.split_whitespace() {
            let (head, rest) = flag.split_at(1);
            match head {
                "M" => field.mandatory = true,
                "Q" => {
                    field.quick_create = true;
                    field.quick_create_sequence = rest.parse().ok();
                }
                "A" => field.presence = Presence::AlwaysShown,
                "H" => field.presence = Presence::Hidden,
                "S" => {
                    field.maintained = Maintained::System;
                    field.mass_editable = false;
                }
                "X" => field.mass_editable = false,
                "L" => field.max_length = rest.parse().ok(),
                "P" => {
                    let mut it = rest.split(',');
                    field.precision = it.next().and_then(|p| p.parse().ok());
                    field.scale = it.next().and_then(|s| s.parse().ok());
                }
                "R" => field.references = rest.split(',').map(str::to_string).collect(),
                "K" => field.picklist = Some(rest.into()),
                "D" => field.default = Some(rest.replace('_', " ")),
                "U" => field.uitype = rest.parse().unwrap_or(field.uitype),
                _ => debug_assert!(false, "unknown flag {flag} on {name}"),
            }
        }
        if field_type == AutoNumber {
            field.maintained = Maintained::System;
            field.mass_editable = false;
        }
        self.module.fields.push(field);
        self
    }

    /// The four system fields every entity module has.
    fn system(self) -> Self {
        self.f("createdtime", "Created Time", DateTime, "A S U70")
            .f("modifiedtime", "Modified Time", DateTime, "A S U70")
            .f("modifiedby", "Last Modified By", Owner, "A S U52")
            .f("source", "Source", Text, "S L100 U1")
    }

    fn auto_number(mut self, field: &str, prefix: &str) -> Self {
        self.module.auto_number = Some(AutoNumberConfig { field: field.into(), prefix: prefix.into() });
        self
    }

    fn compulsory(mut self, fields: &[&str]) -> Self {
        self.module.compulsory = fields.iter().map(|s| (*s).into()).collect();
        self
    }

    fn indexed(mut self, fields: &[&str]) -> Self {
        self.module.indexed = fields.iter().map(|s| (*s).into()).collect();
        self
    }

    /// Beyond vtiger: the forecast category and why a deal was lost (see `crate::analytics`).
    fn analytics_fields(self) -> Self {
        self.f("forecast_category", "Forecast Category", Picklist, "").f("lost_reason", "Lost Reason", Picklist, "").f(
            "lost_reason_note",
            "Lost Reason Note",
            TextArea,
            "",
        )
    }

    fn description(self) -> Self {
        self.block("LBL_DESCRIPTION_INFORMATION", "Description Details").f("description", "Description", TextArea, "U19")
    }

    /// The record's currency and, for each money field named, its base-currency copy (hidden, kept by crm).
    fn money(self, fields: &[&str]) -> Self {
        let mut def = self.f(crate::currency::CURRENCY_FIELD, "Currency", Text, "L100 U117");
        for f in fields {
            let label = def.module.field(f).map(|x| format!("{} in Base Currency", x.label)).unwrap_or_default();
            def = def.f(&format!("{f}{}", crate::currency::BASE_SUFFIX), &label, Currency, "S H P25,4");
        }
        def
    }

    fn done(self) -> Module {
        self.module
    }
}

fn default_uitype(t: FieldType) -> u32 {
    match t {
        Text => 1,
        TextArea => 21,
        Integer | Decimal => 7,
        Currency => 71,
        Percent => 9,
        Date => 5,
        DateTime => 70,
        Time => 14,
        Email => 13,
        Phone => 11,
        Url => 17,
        Checkbox => 56,
        Picklist => 15,
        MultiPicklist => 33,
        Reference => 10,
        Owner => 53,
        AutoNumber => 4,
    }
}

/// Opportunities (vtiger `Potentials`), §1.1 of the reference.
fn potentials() -> Module {
    Def::new("Potentials", "Opportunities", "Opportunity", &["potentialname"])
        .block("LBL_OPPORTUNITY_INFORMATION", "Opportunity Details")
        .f("potentialname", "Opportunity Name", Text, "M Q1 A L120 U2")
        .f("potential_no", "Opportunity Number", AutoNumber, "A L100")
        .f("related_to", "Organization Name", Reference, "Q2 A RAccounts")
        .f("contact_id", "Contact Name", Reference, "RContacts")
        .f("amount", "Amount", Currency, "Q5 P14,2")
        .f("opportunity_type", "Type", Picklist, "")
        .f("closingdate", "Expected Close Date", Date, "M Q3 U23")
        .f("leadsource", "Lead Source", Picklist, "")
        .f("nextstep", "Next Step", Text, "L100")
        .f("assigned_user_id", "Assigned To", Owner, "M Q6")
        .f("sales_stage", "Sales Stage", Picklist, "M Q4")
        .f("campaignid", "Campaign Source", Reference, "RCampaigns U58")
        .f("probability", "Probability", Percent, "P7,3")
        .system()
        .f("forecast_amount", "Weighted Revenue", Currency, "X P25,4")
        .f("isconvertedfromlead", "Is Converted From Lead", Checkbox, "S Dno")
        .analytics_fields()
        .money(&["amount", "forecast_amount"])
        .block("LBL_CUSTOM_INFORMATION", "Custom Information")
        .description()
        .auto_number("potential_no", "POT")
        .compulsory(&["potentialname", "assigned_user_id", "createdtime", "modifiedtime", "sales_stage", "closingdate"])
        .indexed(&["sales_stage", "closingdate", "modifiedtime"])
        .done()
}

fn accounts() -> Module {
    Def::new("Accounts", "Organizations", "Organization", &["accountname"])
        .block("LBL_ACCOUNT_INFORMATION", "Organization Details")
        .f("accountname", "Organization Name", Text, "M Q1 A L100 U2")
        .f("account_no", "Organization Number", AutoNumber, "A L100")
        .f("website", "Website", Url, "Q2 L100")
        .f("phone", "Primary Phone", Phone, "Q3 L30")
        .f("tickersymbol", "Ticker Symbol", Text, "L30")
        .f("fax", "Fax", Phone, "L30")
        .f("account_id", "Member Of", Reference, "RAccounts U51")
        .f("otherphone", "Secondary Phone", Phone, "L30")
        .f("employees", "Employees", Integer, "")
        .f("email1", "Primary Email", Email, "Q4 L100")
        .f("email2", "Secondary Email", Email, "L100")
        .f("ownership", "Ownership", Text, "L50")
        .f("industry", "Industry", Picklist, "")
        .f("rating", "Rating", Picklist, "")
        .f("accounttype", "Type", Picklist, "")
        .f("siccode", "SIC Code", Text, "L50")
        .f("emailoptout", "Email Opt Out", Checkbox, "Dno")
        .f("annual_revenue", "Annual Revenue", Currency, "P25,2")
        .f("assigned_user_id", "Assigned To", Owner, "M Q5")
        .f("notify_owner", "Notify Owner", Checkbox, "Dno")
        .system()
        .f("isconvertedfromlead", "Is Converted From Lead", Checkbox, "S Dno")
        .block("LBL_CUSTOM_INFORMATION", "Custom Information")
        .block("LBL_ADDRESS_INFORMATION", "Address Details")
        .f("bill_street", "Billing Address", TextArea, "L250")
        .f("ship_street", "Shipping Address", TextArea, "L250")
        .f("bill_city", "Billing City", Text, "L30")
        .f("ship_city", "Shipping City", Text, "L30")
        .f("bill_state", "Billing State", Text, "L30")
        .f("ship_state", "Shipping State", Text, "L30")
        .f("bill_code", "Billing Postal Code", Text, "L30")
        .f("ship_code", "Shipping Postal Code", Text, "L30")
        .f("bill_country", "Billing Country", Text, "L30")
        .f("ship_country", "Shipping Country", Text, "L30")
        .f("bill_pobox", "Billing PO Box", Text, "L30")
        .f("ship_pobox", "Shipping PO Box", Text, "L30")
        .description()
        .auto_number("account_no", "ACC")
        .compulsory(&["accountname", "assigned_user_id", "createdtime", "modifiedtime"])
        .indexed(&["modifiedtime"])
        .done()
}

fn contacts() -> Module {
    Def::new("Contacts", "Contacts", "Contact", &["firstname", "lastname"])
        .block("LBL_CONTACT_INFORMATION", "Contact Details")
        .f("salutationtype", "Salutation", Picklist, "")
        .f("firstname", "First Name", Text, "Q1 L40")
        .f("contact_no", "Contact Id", AutoNumber, "A L100")
        .f("lastname", "Last Name", Text, "M Q2 A L80 U2")
        .f("phone", "Office Phone", Phone, "Q4 L50")
        .f("account_id", "Organization Name", Reference, "Q3 RAccounts U51")
        .f("mobile", "Mobile Phone", Phone, "L50")
        .f("leadsource", "Lead Source", Picklist, "")
        .f("homephone", "Home Phone", Phone, "L50")
        .f("title", "Title", Text, "L50")
        .f("otherphone", "Other Phone", Phone, "L50")
        .f("department", "Department", Text, "L30")
        .f("fax", "Fax", Phone, "L50")
        .f("email", "Primary Email", Email, "Q5 L100")
        .f("birthday", "Birthdate", Date, "")
        .f("assistant", "Assistant", Text, "L30")
        .f("contact_id", "Reports To", Reference, "RContacts U57")
        .f("assistantphone", "Assistant Phone", Phone, "L30")
        .f("secondaryemail", "Secondary Email", Email, "L100")
        .f("emailoptout", "Email Opt Out", Checkbox, "Dno")
        .f("donotcall", "Do Not Call", Checkbox, "Dno")
        .f("reference", "Reference", Checkbox, "Dno")
        .f("assigned_user_id", "Assigned To", Owner, "M Q6")
        .f("notify_owner", "Notify Owner", Checkbox, "Dno")
        .system()
        .f("isconvertedfromlead", "Is Converted From Lead", Checkbox, "S Dno")
        .block("LBL_CUSTOM_INFORMATION", "Custom Information")
        .block("LBL_ADDRESS_INFORMATION", "Address Details")
        .f("mailingstreet", "Mailing Street", TextArea, "L250")
        .f("otherstreet", "Other Street", TextArea, "L250")
        .f("mailingcity", "Mailing City", Text, "L40")
        .f("othercity", "Other City", Text, "L40")
        .f("mailingstate", "Mailing State", Text, "L40")
        .f("otherstate", "Other State", Text, "L50")
        .f("mailingzip", "Mailing Zip", Text, "L30")
        .f("otherzip", "Other Zip", Text, "L30")
        .f("mailingcountry", "Mailing Country", Text, "L40")
        .f("othercountry", "Other Country", Text, "L40")
        .f("mailingpobox", "Mailing PO Box", Text, "L30")
        .f("otherpobox", "Other PO Box", Text, "L30")
        .description()
        .auto_number("contact_no", "CON")
        .compulsory(&["lastname", "assigned_user_id", "createdtime", "modifiedtime"])
        .indexed(&["email", "modifiedtime"])
        .done()
}

fn leads() -> Module {
    Def::new("Leads", "Leads", "Lead", &["firstname", "lastname"])
        .block("LBL_LEAD_INFORMATION", "Lead Details")
        .f("salutationtype", "Salutation", Picklist, "")
        .f("firstname", "First Name", Text, "Q1 L40")
        .f("lead_no", "Lead No", AutoNumber, "A L100")
        .f("lastname", "Last Name", Text, "M Q2 A L80 U2")
        .f("phone", "Phone", Phone, "Q4 L50")
        .f("company", "Company", Text, "Q3 L100")
        .f("mobile", "Mobile", Phone, "L50")
        .f("designation", "Title", Text, "L50")
        .f("fax", "Fax", Phone, "L50")
        .f("leadsource", "Lead Source", Picklist, "")
        .f("email", "Email", Email, "Q5 L100")
        .f("industry", "Industry", Picklist, "")
        .f("website", "Website", Url, "L255")
        .f("annualrevenue", "Annual Revenue", Currency, "P25,2")
        .f("leadstatus", "Lead Status", Picklist, "")
        .f("noofemployees", "No Of Employees", Integer, "")
        .f("rating", "Rating", Picklist, "")
        .f("secondaryemail", "Secondary Email", Email, "L100")
        .f("emailoptout", "Email Opt Out", Checkbox, "Dno")
        .f("assigned_user_id", "Assigned To", Owner, "M Q6")
        .system()
        .f("converted", "Converted", Checkbox, "S H Dno")
        .block("LBL_CUSTOM_INFORMATION", "Custom Information")
        .block("LBL_ADDRESS_INFORMATION", "Address Details")
        .f("lane", "Street", TextArea, "L250")
        .f("code", "Postal Code", Text, "L30")
        .f("city", "City", Text, "L30")
        .f("country", "Country", Text, "L30")
        .f("state", "State", Text, "L30")
        .f("pobox", "PO Box", Text, "L30")
        .description()
        .auto_number("lead_no", "LEA")
        .compulsory(&["lastname", "assigned_user_id", "createdtime", "modifiedtime"])
        .indexed(&["email", "company", "modifiedtime"])
        .done()
}

fn calendar() -> Module {
    Def::new("Calendar", "Activities", "Activity", &["subject"])
        .block("LBL_TASK_INFORMATION", "Activity Details")
        .f("subject", "Subject", Text, "M Q1 A L255 U2")
        .f("activitytype", "Activity Type", Picklist, "M Q2")
        .f("date_start", "Start Date", Date, "M Q3 U6")
        .f("time_start", "Start Time", Time, "Q4")
        .f("due_date", "Due Date", Date, "Q5 U23")
        .f("time_end", "End Time", Time, "")
        .f("taskstatus", "Status", Picklist, "")
        .f("eventstatus", "Event Status", Picklist, "")
        .f("taskpriority", "Priority", Picklist, "")
        .f("parent_id", "Related To", Reference, "RAccounts,Leads,Potentials,Quotes,SalesOrder,Invoice,Campaigns U66")
        .f("contact_id", "Contact Name", Reference, "RContacts U57")
        .f("location", "Location", Text, "L150")
        .f("assigned_user_id", "Assigned To", Owner, "M Q6")
        .system()
        .description()
        .compulsory(&["subject", "activitytype", "date_start", "assigned_user_id", "createdtime", "modifiedtime"])
        .indexed(&["date_start", "modifiedtime"])
        .done()
}

fn products() -> Module {
    Def::new("Products", "Products", "Product", &["productname"])
        .block("LBL_PRODUCT_INFORMATION", "Product Details")
        .f("productname", "Product Name", Text, "M Q1 A L100 U2")
        .f("product_no", "Product No", AutoNumber, "A L100")
        .f("productcode", "Part Number", Text, "L40")
        .f("discontinued", "Product Active", Checkbox, "Q2 Dyes")
        .f("productcategory", "Product Category", Picklist, "")
        .f("manufacturer", "Manufacturer", Text, "L100")
        .f("vendor_part_no", "Vendor PartNo", Text, "L100")
        .f("website", "Website", Url, "L100")
        .f("assigned_user_id", "Assigned To", Owner, "M Q5")
        .system()
        .block("LBL_PRICING_INFORMATION", "Pricing Information")
        .f("unit_price", "Unit Price", Currency, "Q3 P25,2")
        .block("LBL_STOCK_INFORMATION", "Stock Information")
        .f("usageunit", "Usage Unit", Picklist, "")
        .f("qtyinstock", "Qty. in Stock", Decimal, "Q4 P25,3")
        .description()
        .auto_number("product_no", "PRO")
        .compulsory(&["productname", "createdtime", "modifiedtime"])
        .done()
}

fn services() -> Module {
    Def::new("Services", "Services", "Service", &["servicename"])
        .block("LBL_SERVICE_INFORMATION", "Service Details")
        .f("servicename", "Service Name", Text, "M Q1 A L100 U2")
        .f("service_no", "Service No", AutoNumber, "A L100")
        .f("discontinued", "Service Active", Checkbox, "Q2 Dyes")
        .f("servicecategory", "Service Category", Picklist, "")
        .f("service_usageunit", "Usage Unit", Picklist, "")
        .f("assigned_user_id", "Assigned To", Owner, "M Q4")
        .system()
        .block("LBL_PRICING_INFORMATION", "Pricing Information")
        .f("unit_price", "Price", Currency, "Q3 P25,2")
        .description()
        .auto_number("service_no", "SER")
        .compulsory(&["servicename", "createdtime", "modifiedtime"])
        .done()
}

fn documents() -> Module {
    Def::new("Documents", "Documents", "Document", &["notes_title"])
        .block("LBL_NOTE_INFORMATION", "Basic Information")
        .f("notes_title", "Title", Text, "M Q1 A L200 U2")
        .f("note_no", "Document No", AutoNumber, "A L100")
        .f("filename", "File Name", Text, "Q2 L200")
        .f("fileurl", "File URL", Url, "L500")
        .f("assigned_user_id", "Assigned To", Owner, "M Q3")
        .system()
        .block("LBL_DESCRIPTION", "Description")
        .f("notecontent", "Note", TextArea, "U19")
        .auto_number("note_no", "DOC")
        .compulsory(&["notes_title", "assigned_user_id", "createdtime", "modifiedtime"])
        .done()
}

/// Shared shape of Quotes, Sales Orders and Invoices.
fn inventory(def: Def, number: &str, prefix: &str, status: (&str, &str), extra: &[(&str, &str, FieldType, &str)]) -> Module {
    let number_label = format!("{} No", def.module.singular);
    let mut def = def
        .f("subject", "Subject", Text, "M Q1 A L100 U2")
        .f(number, &number_label, AutoNumber, "A L100")
        .f("potential_id", "Opportunity Name", Reference, "RPotentials U76")
        .f(status.0, status.1, Picklist, "M Q2")
        .f("contact_id", "Contact Name", Reference, "RContacts U57")
        .f("account_id", "Organization Name", Reference, "M Q3 RAccounts U73");
    for (name, label, t, flags) in extra {
        def = def.f(name, label, *t, flags);
    }
    def.f("hdnSubTotal", "Sub Total", Currency, "S P25,2 U72")
        .f("hdnGrandTotal", "Total", Currency, "S P25,2 U72")
        .f("assigned_user_id", "Assigned To", Owner, "M Q4")
        .system()
        .money(&["hdnSubTotal", "hdnGrandTotal"])
        .block("LBL_ADDRESS_INFORMATION", "Address Details")
        .f("bill_street", "Billing Address", TextArea, "L250")
        .f("ship_street", "Shipping Address", TextArea, "L250")
        .f("bill_city", "Billing City", Text, "L30")
        .f("ship_city", "Shipping City", Text, "L30")
        .f("bill_code", "Billing Code", Text, "L30")
        .f("ship_code", "Shipping Code", Text, "L30")
        .f("bill_country", "Billing Country", Text, "L30")
        .f("ship_country", "Shipping Country", Text, "L30")
        .block("LBL_TERMS_INFORMATION", "Terms & Conditions")
        .f("terms_conditions", "Terms & Conditions", TextArea, "U19")
        .description()
        .auto_number(number, prefix)
        .compulsory(&["subject", "account_id", "assigned_user_id", "createdtime", "modifiedtime"])
        .done()
}

fn quotes() -> Module {
    let def = Def::new("Quotes", "Quotes", "Quote", &["subject"]).block("LBL_QUOTE_INFORMATION", "Quote Details");
    inventory(def, "quote_no", "QUO", ("quotestage", "Quote Stage"), &[("validtill", "Valid Till", Date, "")])
}

fn sales_order() -> Module {
    let def = Def::new("SalesOrder", "Sales Orders", "Sales Order", &["subject"]).block("LBL_SO_INFORMATION", "Sales Order Details");
    inventory(
        def,
        "salesorder_no",
        "SO",
        ("sostatus", "Status"),
        &[
            ("quote_id", "Quote Name", Reference, "RQuotes U78"),
            ("customerno", "Customer No", Text, "L100"),
            ("duedate", "Due Date", Date, ""),
        ],
    )
}

fn invoice() -> Module {
    let def = Def::new("Invoice", "Invoices", "Invoice", &["subject"]).block("LBL_INVOICE_INFORMATION", "Invoice Details");
    inventory(
        def,
        "invoice_no",
        "INV",
        ("invoicestatus", "Status"),
        &[
            ("salesorder_id", "Sales Order", Reference, "RSalesOrder U80"),
            ("customerno", "Customer No", Text, "L100"),
            ("invoicedate", "Invoice Date", Date, ""),
            ("duedate", "Due Date", Date, ""),
        ],
    )
}

fn campaigns() -> Module {
    Def::new("Campaigns", "Campaigns", "Campaign", &["campaignname"])
        .block("LBL_CAMPAIGN_INFORMATION", "Campaign Details")
        .f("campaignname", "Campaign Name", Text, "M Q1 A L255 U2")
        .f("campaign_no", "Campaign No", AutoNumber, "A L100")
        .f("campaigntype", "Campaign Type", Picklist, "Q2")
        .f("campaignstatus", "Campaign Status", Picklist, "Q3")
        .f("product_id", "Product", Reference, "RProducts U59")
        .f("targetaudience", "Target Audience", Text, "L100")
        .f("closingdate", "Expected Close Date", Date, "M Q4 U23")
        .f("assigned_user_id", "Assigned To", Owner, "M Q5")
        .system()
        .block("LBL_EXPECTATIONS_AND_ACTUALS", "Expectations & Actuals")
        .f("budgetcost", "Budget Cost", Currency, "P25,2")
        .f("actualcost", "Actual Cost", Currency, "P25,2")
        .f("expectedrevenue", "Expected Revenue", Currency, "P25,2")
        .f("expectedresponse", "Expected Response", Picklist, "")
        .f("numsent", "Num Sent", Integer, "")
        .description()
        .auto_number("campaign_no", "CAM")
        .compulsory(&["campaignname", "closingdate", "assigned_user_id", "createdtime", "modifiedtime"])
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_picklist_field_has_its_picklist_and_every_reference_a_module() {
        let s = schema();
        for m in s.modules.values() {
            for f in &m.fields {
                if let Some(p) = f.picklist_name() {
                    assert!(s.picklists.contains_key(p), "{}.{} uses missing picklist {p}", m.name, f.name);
                }
                for r in &f.references {
                    assert!(s.modules.contains_key(r), "{}.{} references missing module {r}", m.name, f.name);
                }
                assert!(m.blocks.iter().any(|b| b.name == f.block), "{}.{} block", m.name, f.name);
            }
            for e in &m.entity_fields {
                assert!(m.field(e).is_some(), "{} entity field {e}", m.name);
            }
            for c in &m.compulsory {
                assert!(m.field(c).is_some(), "{} compulsory field {c}", m.name);
            }
        }
    }

    #[test]
    fn potentials_match_vtiger() {
        let s = schema();
        let p = s.module("Potentials").unwrap();
        let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
        for n in [
            "potentialname",
            "potential_no",
            "related_to",
            "contact_id",
            "amount",
            "opportunity_type",
            "closingdate",
            "leadsource",
            "nextstep",
            "assigned_user_id",
            "sales_stage",
            "campaignid",
            "probability",
            "modifiedtime",
            "createdtime",
            "modifiedby",
            "forecast_amount",
            "isconvertedfromlead",
            "source",
            "description",
        ] {
            assert!(names.contains(&n), "missing {n}");
        }
        let mandatory: Vec<&str> = p.fields.iter().filter(|f| f.mandatory).map(|f| f.name.as_str()).collect();
        assert_eq!(mandatory, ["potentialname", "closingdate", "assigned_user_id", "sales_stage"]);
        let qc: Vec<&str> = {
            let mut v: Vec<&Field> = p.fields.iter().filter(|f| f.quick_create).collect();
            v.sort_by_key(|f| f.quick_create_sequence);
            v.iter().map(|f| f.name.as_str()).collect()
        };
        assert_eq!(qc, ["potentialname", "related_to", "closingdate", "sales_stage", "amount", "assigned_user_id"]);
        assert_eq!(p.field("forecast_amount").unwrap().label, "Weighted Revenue");
        assert_eq!(s.module("Opportunities").unwrap().name, "Potentials");
        assert_eq!(s.stage("Closed Won").unwrap().kind, StageKind::Won);
        assert!(!s.picklist("sales_stage").unwrap().get("Closed Lost").unwrap().editable);
    }
}
