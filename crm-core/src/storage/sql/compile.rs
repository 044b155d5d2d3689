//! Queries as SQL: conditions, sorting, paging and aggregates of a normalized [`Query`], and the per-module
//! record statements. Values are always bound parameters; identifiers come only from the schema.
//!
//! Shape (so that a declared index on the filtered and sorted fields serves it, see
//! [`crate::schema::index`]): the record id is the module table's `t.id` (in SQLite the rowid, which every
//! index of the table ends with), both in conditions and as the last sort term, so an index scan yields the
//! full order and keyset paging's `(key = ? AND id < ?)` is checked on the index alone.
//!
//! Empty fields are NULL ("unknown") in SQL; under AND/OR that behaves as false, as in the memory adapter.
//! Only NOT would turn it around, so NOT coalesces its operand to false first, and leaves stay bare
//! comparisons so that the engine can use indexes for them.

use super::{Arg, Dialect, signed};
use crate::error::{Error, Result};
use crate::query::{Condition, ID_FIELD, Op, Query, fold};
use crate::schema::{Field, FieldType, Module};
use crate::value::{MULTI_SEPARATOR, Value};

/// A statement with its parameters.
pub(crate) type Compiled<'q> = (String, Vec<Arg<'q>>);

/// The module of a query in a schema.
pub(crate) fn module<'s>(s: &'s crate::schema::Schema, name: &str) -> Result<&'s Module> {
    s.modules.get(name).ok_or_else(|| Error::invalid(format!("module '{name}' is not in the stored schema")))
}

/// `e.id, e.label, e.deleted, e.version, t.<field>...`: what [`super::records::read_record`] reads.
pub(crate) fn select_list(d: &dyn Dialect, m: &Module) -> Result<String> {
    let mut s = String::from("e.id, e.label, e.deleted, e.version");
    for f in &m.fields {
        s.push_str(", t.");
        s.push_str(&d.ident(&f.name)?);
    }
    Ok(s)
}

/// Reads one record by id.
pub(crate) fn get(d: &dyn Dialect, m: &Module) -> Result<String> {
    Ok(format!(
        "SELECT {} FROM {} t JOIN crm_entity e ON e.id = t.id WHERE t.id = {}",
        select_list(d, m)?,
        d.ident(&m.table_name())?,
        d.placeholder(1)
    ))
}

/// Inserts a module row: `id` then every field, in schema order.
pub(crate) fn insert_row(d: &dyn Dialect, m: &Module) -> Result<String> {
    let cols: Vec<String> = m.fields.iter().map(|f| d.ident(&f.name)).collect::<Result<_>>()?;
    let params: Vec<String> = (1..=cols.len() + 1).map(|i| d.placeholder(i)).collect();
    let mut names = String::from("id");
    for c in &cols {
        names.push_str(", ");
        names.push_str(c);
    }
    Ok(format!("INSERT INTO {} ({names}) VALUES ({})", d.ident(&m.table_name())?, params.join(", ")))
}

/// Updates a module row: parameter 1 is the id, then every field in schema order (`None` when the module
/// has no field).
pub(crate) fn update_row(d: &dyn Dialect, m: &Module) -> Result<Option<String>> {
    if m.fields.is_empty() {
        return Ok(None);
    }
    let mut sets = Vec::with_capacity(m.fields.len());
    for (i, f) in m.fields.iter().enumerate() {
        sets.push(format!("{} = {}", d.ident(&f.name)?, d.placeholder(i + 2)));
    }
    Ok(Some(format!("UPDATE {} SET {} WHERE id = {}", d.ident(&m.table_name())?, sets.join(", "), d.placeholder(1))))
}

/// One probe of the auto-number's unique index (live and deleted records).
pub(crate) fn number_taken(d: &dyn Dialect, m: &Module, field: &str) -> Result<String> {
    Ok(format!("SELECT 1 FROM {} WHERE {} = {} LIMIT 1", d.ident(&m.table_name())?, d.ident(field)?, d.placeholder(1)))
}

/// `FROM ... WHERE ...` of a query, its condition pushed down.
pub(crate) fn from_where<'q>(d: &dyn Dialect, m: &'q Module, q: &'q Query, args: &mut Vec<Arg<'q>>) -> Result<String> {
    let mut sql =
        format!("FROM {} t JOIN crm_entity e ON e.id = t.id WHERE e.deleted = {}", d.ident(&m.table_name())?, d.bool_literal(q.deleted));
    if let Some(c) = &q.condition {
        sql.push_str(" AND ");
        condition(d, c, m, &mut sql, args)?;
    }
    if let Some(s) = &q.scope {
        scope(d, s, m, &mut sql, args)?;
    }
    Ok(sql)
}

/// Access control's record predicate ([`OwnerScope`](crate::query::OwnerScope)): ` AND t.<owner> IN (...)`
/// with the owner ids bound (false when it admits no owner). Part of every select, count and aggregate,
/// since all build their `FROM ... WHERE` with [`from_where`]; the analytics reads add it to theirs.
pub(crate) fn scope<'q>(
    d: &dyn Dialect,
    s: &'q crate::query::OwnerScope,
    m: &Module,
    sql: &mut String,
    args: &mut Vec<Arg<'q>>,
) -> Result<()> {
    let f = m.field(&s.field).ok_or_else(|| Error::invalid(format!("{} has no owner field '{}'", m.name, s.field)))?;
    owner_in(d, &f.name, &s.owners, sql, args)
}

/// ` AND t.<field> IN (...)` over a module table `t`: the owner test of an
/// [`OwnerScope`](crate::query::OwnerScope) (false when it admits no owner), the owner ids bound. For
/// [`scope`], and the reads that span records (the change feed's and duplicate groups' sight).
pub(crate) fn owner_in(
    d: &dyn Dialect,
    field: &str,
    owners: &[crate::value::OwnerId],
    sql: &mut String,
    args: &mut Vec<Arg<'_>>,
) -> Result<()> {
    if owners.is_empty() {
        sql.push_str(&format!(" AND {}", d.bool_literal(false)));
        return Ok(());
    }
    sql.push_str(&format!(" AND t.{} IN (", d.ident(field)?));
    for (i, o) in owners.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        args.push(Arg::Int(o.0));
        sql.push_str(&d.placeholder(args.len()));
    }
    sql.push(')');
    Ok(())
}

/// The `SELECT` of a query: its records in its order and page.
pub(crate) fn select<'q>(d: &dyn Dialect, m: &'q Module, q: &'q Query, no_limit: Arg<'q>) -> Result<Compiled<'q>> {
    let mut args = Vec::new();
    let from = from_where(d, m, q, &mut args)?;
    let mut sql = format!("SELECT {} {from} ORDER BY ", select_list(d, m)?);
    for s in &q.sort {
        let f = m.field(&s.field).ok_or_else(|| Error::invalid(format!("cannot sort by unknown field '{}'", s.field)))?;
        sql.push_str(&d.sort_term(&column(d, f)?, s.descending));
        sql.push_str(", ");
    }
    sql.push_str(if q.sort.first().is_some_and(|s| s.descending) { "t.id DESC" } else { "t.id ASC" });
    args.push(q.limit.map_or(no_limit, |l| Arg::Int(signed(l))));
    sql.push_str(&format!(" LIMIT {}", d.placeholder(args.len())));
    args.push(Arg::Int(signed(q.offset)));
    sql.push_str(&format!(" OFFSET {}", d.placeholder(args.len())));
    Ok((sql, args))
}

/// Counts the records of a query.
pub(crate) fn count<'q>(d: &dyn Dialect, m: &'q Module, q: &'q Query) -> Result<Compiled<'q>> {
    let mut args = Vec::new();
    let sql = format!("SELECT count(*) {}", from_where(d, m, q, &mut args)?);
    Ok((sql, args))
}

/// Groups a query's records by a field (or one group), counting them and summing `sums` exactly: columns
/// key, count, then one decimal text per sum. Groups come ordered by key. Also gives the key's field type.
pub(crate) fn aggregate<'q>(
    d: &dyn Dialect,
    m: &'q Module,
    q: &'q Query,
    group_by: Option<&str>,
    sums: &[&str],
) -> Result<(String, Vec<Arg<'q>>, FieldType)> {
    let mut args = Vec::new();
    let from = from_where(d, m, q, &mut args)?;
    let group = group_by.map(|g| m.field(g).ok_or_else(|| Error::invalid(format!("cannot group by unknown field '{g}'")))).transpose()?;
    let key = match group {
        Some(f) => format!("t.{}", d.ident(&f.name)?),
        None => "CAST(NULL AS TEXT)".into(),
    };
    let mut sql = format!("SELECT {key}, count(*){} {from}", sum_list(d, m, sums)?);
    if let Some(f) = group {
        let c = column(d, f)?;
        sql.push_str(&format!(" GROUP BY {} ORDER BY {}", d.group_term(&c), d.sort_term(&c, false)));
    }
    Ok((sql, args, group.map_or(FieldType::Text, |f| f.field_type)))
}

/// Like [`aggregate`] grouped by the first `len` characters of a date field's stored text. Grouping by an
/// expression: the engine scans once and groups, instead of walking the date index with a table lookup per
/// row. `len` is a number, never input text.
pub(crate) fn aggregate_by_prefix<'q>(
    d: &dyn Dialect,
    m: &'q Module,
    q: &'q Query,
    field: &str,
    len: usize,
    sums: &[&str],
) -> Result<Compiled<'q>> {
    let mut args = Vec::new();
    let from = from_where(d, m, q, &mut args)?;
    let f = m.field(field).ok_or_else(|| Error::invalid(format!("cannot group by unknown field '{field}'")))?;
    let key = d.text_prefix(&format!("t.{}", d.ident(&f.name)?), len);
    let sql = format!("SELECT {key}, count(*){} {from} GROUP BY 1 ORDER BY 1", sum_list(d, m, sums)?);
    Ok((sql, args))
}

fn sum_list(d: &dyn Dialect, m: &Module, sums: &[&str]) -> Result<String> {
    let mut sql = String::new();
    for s in sums {
        let f = m.field(s).ok_or_else(|| Error::invalid(format!("cannot sum unknown field '{s}'")))?;
        sql.push_str(", ");
        sql.push_str(&d.decimal_sum(&format!("t.{}", d.ident(&f.name)?)));
    }
    Ok(sql)
}

/// A field's column as compared and sorted.
fn column(d: &dyn Dialect, f: &Field) -> Result<String> {
    Ok(d.compare_column(format!("t.{}", d.ident(&f.name)?), f.field_type))
}

/// Compiles a normalized condition, pushing its values into `args`.
pub(crate) fn condition<'q>(d: &dyn Dialect, c: &'q Condition, m: &'q Module, sql: &mut String, args: &mut Vec<Arg<'q>>) -> Result<()> {
    let bind = |args: &mut Vec<Arg<'q>>, a: Arg<'q>| {
        args.push(a);
        d.placeholder(args.len())
    };
    match c {
        Condition::All(v) | Condition::Any(v) => {
            let all = matches!(c, Condition::All(_));
            if v.is_empty() {
                sql.push_str(d.bool_literal(all));
                return Ok(());
            }
            sql.push('(');
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    sql.push_str(if all { " AND " } else { " OR " });
                }
                condition(d, x, m, sql, args)?;
            }
            sql.push(')');
        }
        Condition::Not(x) => {
            sql.push_str("NOT coalesce(");
            condition(d, x, m, sql, args)?;
            sql.push_str(&format!(", {})", d.bool_literal(false)));
        }
        Condition::Compare { field, op, values } if field == ID_FIELD => {
            let id = |args: &mut Vec<Arg<'q>>, i: usize| {
                bind(args, values.get(i).map_or(Arg::Null, |v| Arg::Value(FieldType::Integer, v, ID_FIELD)))
            };
            let s = match op {
                Op::Eq => format!("t.id = {}", id(args, 0)),
                Op::Ne => format!("t.id <> {}", id(args, 0)),
                Op::Lt => format!("t.id < {}", id(args, 0)),
                Op::Le => format!("t.id <= {}", id(args, 0)),
                Op::Gt => format!("t.id > {}", id(args, 0)),
                Op::Ge => format!("t.id >= {}", id(args, 0)),
                Op::Between => {
                    let lo = id(args, 0);
                    format!("t.id BETWEEN {lo} AND {}", id(args, 1))
                }
                Op::In => format!("t.id IN ({})", (0..values.len()).map(|i| id(args, i)).collect::<Vec<_>>().join(", ")),
                other => return Err(Error::invalid(format!("operator {other:?} does not fit the record id"))),
            };
            sql.push_str(&s);
        }
        Condition::Compare { field, op, values } => {
            let f = m.field(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
            let raw = format!("t.{}", d.ident(&f.name)?);
            let c = d.compare_column(raw.clone(), f.field_type);
            let no = d.bool_literal(false);
            let value = |i: usize| values.get(i).map_or(Arg::Null, |v| Arg::Value(f.field_type, v, &f.name));
            // A compared value, as the dialect compares it with the column.
            let val = |args: &mut Vec<Arg<'q>>, i: usize| d.compare_value(bind(args, value(i)), f.field_type);
            if f.field_type == FieldType::MultiPicklist && matches!(op, Op::Eq | Op::Ne | Op::In) {
                let has = |args: &mut Vec<Arg<'q>>, v: Option<&Value>| {
                    let needle = format!("{MULTI_SEPARATOR}{}{MULTI_SEPARATOR}", v.and_then(Value::to_text).unwrap_or_default());
                    let p = bind(args, Arg::Owned(needle));
                    format!("{} > 0", d.position(&format!("'{MULTI_SEPARATOR}' || {raw} || '{MULTI_SEPARATOR}'"), &p))
                };
                let s = match op {
                    Op::Eq => format!("coalesce({}, {no})", has(args, values.first())),
                    Op::Ne => format!("({raw} IS NULL OR NOT {})", has(args, values.first())),
                    _ => format!(
                        "({})",
                        values.iter().map(|v| format!("coalesce({}, {no})", has(args, Some(v)))).collect::<Vec<_>>().join(" OR ")
                    ),
                };
                sql.push_str(&s);
                return Ok(());
            }
            let s = match op {
                Op::IsEmpty => d.empty_test(&raw, f.field_type),
                Op::IsNotEmpty => format!("NOT {}", d.empty_test(&raw, f.field_type)),
                Op::Eq => format!("{c} = {}", val(args, 0)),
                // `<> NULL` is unknown; an empty compare value differs from every non-empty field
                Op::Ne => format!("({raw} IS NULL OR coalesce({c} <> {}, {}))", val(args, 0), d.bool_literal(true)),
                Op::Lt => format!("{c} < {}", val(args, 0)),
                Op::Le => format!("{c} <= {}", val(args, 0)),
                Op::Gt => format!("{c} > {}", val(args, 0)),
                Op::Ge => format!("{c} >= {}", val(args, 0)),
                Op::Between => {
                    let lo = val(args, 0);
                    format!("{c} BETWEEN {lo} AND {}", val(args, 1))
                }
                Op::In => format!("{c} IN ({})", (0..values.len()).map(|i| val(args, i)).collect::<Vec<_>>().join(", ")),
                Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
                    let needle = fold(&values.first().and_then(Value::to_text).unwrap_or_default());
                    let n = i64::try_from(needle.chars().count()).unwrap_or(i64::MAX);
                    let folded = d.fold(&raw, &needle);
                    match op {
                        Op::Contains => format!("coalesce({} > 0, {no})", d.position(&folded, &bind(args, Arg::Owned(needle)))),
                        Op::NotContains => format!("({raw} IS NULL OR {} = 0)", d.position(&folded, &bind(args, Arg::Owned(needle)))),
                        _ if n == 0 => format!("({raw} IS NOT NULL)"),
                        Op::StartsWith => {
                            let len = bind(args, Arg::Int(n));
                            format!("coalesce({} = {}, {no})", d.prefix(&folded, &len), bind(args, Arg::Owned(needle)))
                        }
                        _ => {
                            let len = bind(args, Arg::Int(n));
                            format!("coalesce({} = {}, {no})", d.suffix(&folded, &len), bind(args, Arg::Owned(needle)))
                        }
                    }
                }
            };
            sql.push_str(&s);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;
    use crate::storage::sql::dialect::testing::{Question, Standard};

    fn compiled(d: &dyn Dialect, c: Condition, sort: &str) -> (String, usize) {
        let schema = Schema::builtin();
        let m = &schema.modules["Potentials"];
        let q = Query::new("Potentials").filter(c).order_by(sort).normalize(m).unwrap();
        let (sql, args) = select(d, m, &q, Arg::Null).unwrap();
        (sql, args.len())
    }

    #[test]
    fn one_compiler_speaks_each_dialect() {
        let c = Condition::All(vec![Condition::cmp("amount", Op::Gt, "100"), Condition::cmp("sales_stage", Op::Ne, "Closed Lost")]);
        let (pg, n) = compiled(&Standard, c.clone(), "-amount");
        assert!(pg.contains(r#"t."amount" > $1 AND ("#), "{pg}");
        assert!(pg.contains(r#"coalesce(t."sales_stage" <> $2, TRUE)"#), "{pg}");
        assert!(pg.contains(r#"ORDER BY t."amount" DESC NULLS LAST, t.id DESC LIMIT $3 OFFSET $4"#), "{pg}");
        assert!(pg.contains("e.deleted = FALSE"), "{pg}");
        assert_eq!(n, 4);
        let (lite, _) = compiled(&Question, c, "-amount");
        assert!(lite.contains(r#"t."amount" COLLATE crm_decimal > ?1"#), "{lite}");
        assert!(lite.contains(r#"ORDER BY t."amount" COLLATE crm_decimal DESC, t.id DESC LIMIT ?3 OFFSET ?4"#), "{lite}");
        assert!(lite.contains("e.deleted = 0"), "{lite}");
    }
}
