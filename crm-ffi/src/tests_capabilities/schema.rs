//! Schema and picklist editing through the C API, and schema getters that see another handle's change.

use super::*;

#[test]
fn schema_and_picklist_editing() {
    for st in both() {
        // A custom picklist field through the shortcut, a block, moving, renaming.
        let f = json_of(|o| unsafe {
            crm_field_add(
                st.0,
                s("Potentials").as_ptr(),
                s(r#"{"label": "Region", "type": "picklist", "values": ["EU", "US"]}"#).as_ptr(),
                o,
            )
        });
        let region = f["name"].as_str().unwrap().to_string();
        assert!(region.starts_with("cf_"), "{f}");
        let b = json_of(|o| unsafe { crm_block_add(st.0, s("Potentials").as_ptr(), s("Extra").as_ptr(), o) });
        let block = b["name"].as_str().unwrap().to_string();
        ok(unsafe { crm_field_move(st.0, s("Potentials").as_ptr(), s("Region").as_ptr(), s(&block).as_ptr(), 0) });
        ok(unsafe { crm_block_rename(st.0, s("Potentials").as_ptr(), s(&block).as_ptr(), s("More").as_ptr()) });
        ok(unsafe { crm_fields_reorder(st.0, s("Potentials").as_ptr(), s("More").as_ptr(), s(r#"["Region"]"#).as_ptr()) });
        let u = json_of(|o| unsafe {
            crm_field_update(
                st.0,
                s("Potentials").as_ptr(),
                s("Region").as_ptr(),
                s(r#"{"label": "Sales region", "default": "EU"}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(u["label"], "Sales region");
        // Any change as JSON.
        let e = json_of(|o| unsafe {
            crm_schema_apply(
                st.0,
                s(r#"{"op": "add_picklist_values", "module": "Potentials", "field": "Sales region", "values": ["APAC"]}"#).as_ptr(),
                o,
            )
        });
        assert_eq!(e["actor"], "admin");
        assert_eq!(e["change"]["op"], "add_picklist_values");
        ok(unsafe { crm_picklist_add(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s(r#"["LATAM"]"#).as_ptr()) });
        ok(unsafe { crm_picklist_reorder(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s(r#"["US", "EU"]"#).as_ptr()) });
        let values = json_of(|o| unsafe { crm_picklist_values(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), ptr::null(), o) });
        assert_eq!(values, json!(["US", "EU", "APAC", "LATAM"]));
        // Rename and delete-with-replacement rewrite stored records.
        let d = id(&create(
            &st,
            "Potentials",
            &format!(r#"{{"potentialname": "R", "sales_stage": "Prospecting", "closingdate": "2027-01-31", "{region}": "APAC"}}"#),
        ));
        ok(unsafe { crm_picklist_rename(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s("APAC").as_ptr(), s("Asia").as_ptr()) });
        assert_eq!(get(&st, d)[&region], "Asia");
        assert_eq!(get(&st, d)["version"], 2, "a rewritten record gets a new version");
        ok(unsafe {
            crm_picklist_delete(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s(r#"["Asia"]"#).as_ptr(), s("EU").as_ptr())
        });
        assert_eq!(get(&st, d)[&region], "EU");
        // Roles limit what a role may pick.
        ok(unsafe {
            crm_picklist_set_roles(
                st.0,
                s("Potentials").as_ptr(),
                s(&region).as_ptr(),
                s("LATAM").as_ptr(),
                s(r#"["Sales Manager"]"#).as_ptr(),
            )
        });
        let for_rep =
            json_of(|o| unsafe { crm_picklist_values(st.0, s("Potentials").as_ptr(), s(&region).as_ptr(), s("Sales Rep").as_ptr(), o) });
        assert_eq!(for_rep, json!(["US", "EU"]));
        // A dependency: region EU only allows lead source "Web Site".
        ok(unsafe {
            crm_picklist_set_dependency(
                st.0,
                s("Potentials").as_ptr(),
                s(&region).as_ptr(),
                s("leadsource").as_ptr(),
                s(r#"{"EU": ["Web Site"]}"#).as_ptr(),
            )
        });
        let mut out = ptr::null_mut();
        let bad = s(&format!(r#"{{"{region}": "EU", "leadsource": "Cold Call"}}"#));
        assert_eq!(unsafe { crm_record_update(st.0, d, bad.as_ptr(), &mut out) }, crm_status::Validation);
        // Stage meta: probability default of a stage.
        ok(unsafe { crm_stage_meta_set(st.0, s("Prospecting").as_ptr(), s("open").as_ptr(), s("15").as_ptr()) });
        let p = deal(&st, "P", "Prospecting", "100", "2027-02-01");
        assert_eq!(get(&st, p)["probability"], "15.000");
        assert_eq!(
            unsafe { crm_stage_meta_set(st.0, s("Prospecting").as_ptr(), s("maybe").as_ptr(), s("15").as_ptr(),) },
            crm_status::InvalidArgument
        );
        assert!(msg().contains("kind: unknown value 'maybe' (one of open, won, lost)"), "{}", msg());
        // Refused edits: CRM_STATUS_SCHEMA, nothing changed.
        assert_eq!(unsafe { crm_field_delete(st.0, s("Potentials").as_ptr(), s("amount").as_ptr()) }, crm_status::Schema);
        assert_eq!(code(), "schema");
        assert_eq!(unsafe { crm_schema_apply(st.0, s(r#"{"op": "frobnicate"}"#).as_ptr(), ptr::null_mut()) }, crm_status::InvalidArgument);
        // A field not in use can go; an empty custom block too.
        let tmp =
            json_of(|o| unsafe { crm_field_add(st.0, s("Potentials").as_ptr(), s(r#"{"label": "Tmp", "type": "text"}"#).as_ptr(), o) });
        ok(unsafe { crm_field_delete(st.0, s("Potentials").as_ptr(), s(tmp["name"].as_str().unwrap()).as_ptr()) });
        let b2 = json_of(|o| unsafe { crm_block_add(st.0, s("Potentials").as_ptr(), s("Empty").as_ptr(), o) });
        ok(unsafe { crm_blocks_reorder(st.0, s("Potentials").as_ptr(), s(r#"["Empty"]"#).as_ptr()) });
        ok(unsafe { crm_block_delete(st.0, s("Potentials").as_ptr(), s(b2["name"].as_str().unwrap()).as_ptr()) });
        let mut reloaded = true;
        ok(unsafe { crm_schema_refresh(st.0, &mut reloaded) });
        assert!(!reloaded);
        // The change log names every edit.
        let log = json_of(|o| unsafe { crm_schema_changes(st.0, o) });
        let ops: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["change"]["op"].as_str().unwrap()).collect();
        for op in [
            "add_field",
            "add_block",
            "move_field",
            "rename_block",
            "reorder_fields",
            "update_field",
            "add_picklist_values",
            "reorder_picklist",
            "rename_picklist_value",
            "delete_picklist_values",
            "set_picklist_value_roles",
            "set_picklist_dependency",
            "set_stage_meta",
            "delete_field",
            "reorder_blocks",
            "delete_block",
        ] {
            assert!(ops.contains(&op), "{op} missing from {ops:?}");
        }
    }
}

#[test]
fn schema_getters_see_another_handles_change_on_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.db").to_str().unwrap().to_string();
    let a = open_at(&file, None);
    let mut p = ptr::null_mut();
    ok(unsafe { crm_store_open(s(&file).as_ptr(), &mut p) });
    let b = Store(p, None);
    let labels = |st: &Store| -> Vec<String> {
        json_of(|o| unsafe { crm_module_fields(st.0, s("Potentials").as_ptr(), o) })
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["label"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(!labels(&b).contains(&"Region".to_string()));
    let f = json_of(|o| unsafe {
        crm_field_add(a.0, s("Potentials").as_ptr(), s(r#"{"label": "Region", "type": "picklist", "values": ["EU", "US"]}"#).as_ptr(), o)
    });
    // b never calls crm_schema_refresh: both getters read the schema in force in the file.
    assert!(labels(&b).contains(&"Region".to_string()));
    let schema = json_of(|o| unsafe { crm_schema_json(b.0, o) });
    let a_schema = json_of(|o| unsafe { crm_schema_json(a.0, o) });
    assert_eq!(schema["version"], a_schema["version"]);
    assert!(schema.to_string().contains(f["name"].as_str().unwrap()));
    drop(a);
    drop(b);
    drop(dir);
}
