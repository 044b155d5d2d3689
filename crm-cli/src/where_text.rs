//! `--where` conditions as typed on a command line: `"FIELD OP VALUE"` with a symbol operator (`=`, `!=`,
//! `<>`, `<`, `<=`, `>`, `>=`, `~` for contains) or a word operator between spaces (`contains`,
//! `starts with`, `is empty`, ... — any name [`Op::parse`](crm_core::Op::parse) reads), or a JSON
//! condition of crm-core's wire language (`{"field": "amount", "op": "between", "values": [1, 9]}`).
//! The result is a [`ConditionSpec`]: crm-core resolves the field and converts the value, as for C and
//! Python.

use crm_core::Value;
use crm_core::wire::ConditionSpec;

/// Word operators, longest first so `is not empty` wins over `is empty`.
const WORDS: [&str; 10] =
    ["does not contain", "not contains", "is not empty", "starts with", "ends with", "is empty", "contains", "before", "after", "is not"];

/// Reads one `--where` argument.
pub(crate) fn parse(text: &str) -> crm_core::Result<ConditionSpec> {
    let t = text.trim();
    if t.starts_with('{') {
        return serde_json::from_str(t).map_err(|e| crm_core::Error::InvalidArgument(format!("--where '{t}': {e}")));
    }
    if let Some((field, op, value)) = symbol(t).or_else(|| word(t)) {
        if field.is_empty() {
            return Err(crm_core::Error::InvalidArgument(format!("--where '{t}': no field before the operator")));
        }
        let values = if value.is_empty() && op.contains("empty") { vec![] } else { vec![Value::Text(value.to_string())] };
        return Ok(ConditionSpec::compare(field, op, values));
    }
    Err(crm_core::Error::InvalidArgument(format!(
        "--where '{t}': expected \"FIELD OP VALUE\" (OP one of = != < <= > >= ~ contains, starts with, is empty...) or a JSON condition"
    )))
}

/// `field<op>value` with the first symbol operator.
fn symbol(t: &str) -> Option<(&str, &'static str, &str)> {
    let at = t.find(['=', '!', '<', '>', '~'])?;
    let rest = &t[at..];
    let op = ["!=", "<>", "<=", ">=", "==", "=", "<", ">", "~"].into_iter().find(|o| rest.starts_with(o))?;
    let value = rest[op.len()..].trim();
    let op = if op == "~" { "contains" } else { op };
    Some((t[..at].trim(), op, value))
}

/// `field <word op> value`.
fn word(t: &str) -> Option<(&str, &'static str, &str)> {
    let lower = t.to_ascii_lowercase();
    WORDS.into_iter().find_map(|w| {
        let padded = format!(" {w}");
        let at = lower.find(&padded)?;
        let after = &t[at + padded.len()..];
        (after.is_empty() || after.starts_with(' ')).then(|| (t[..at].trim(), w, after.trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(t: &str) -> (String, String, Vec<Value>) {
        match parse(t).unwrap() {
            ConditionSpec::Compare { field, op, values } => (field, op, values),
            other => panic!("not a comparison: {other:?}"),
        }
    }

    #[test]
    fn symbols_words_and_json_are_read() {
        assert_eq!(compare("amount >= 1000"), ("amount".into(), ">=".into(), vec![Value::Text("1000".into())]));
        assert_eq!(compare("Sales Stage=Closed Won"), ("Sales Stage".into(), "=".into(), vec![Value::Text("Closed Won".into())]));
        assert_eq!(compare("potentialname ~ Hooli").1, "contains");
        assert_eq!(
            compare("potentialname starts with Hoo"),
            ("potentialname".into(), "starts with".into(), vec![Value::Text("Hoo".into())])
        );
        assert_eq!(compare("description is not empty"), ("description".into(), "is not empty".into(), vec![]));
        assert!(matches!(parse(r#"{"field": "amount", "op": "between", "values": [1, 9]}"#).unwrap(), ConditionSpec::Compare { .. }));
        assert!(parse("amount").is_err());
        assert!(parse("= 5").is_err());
        assert!(parse("{bad json").is_err());
    }
}
