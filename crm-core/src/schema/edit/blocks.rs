//! Block edits: adding a custom block, renaming, reordering and deleting (empty, custom) blocks, and the
//! field order inside a block.

use super::names::{check_identifier, check_label, module_mut};
use super::{R, SchemaError};
use crate::schema::{Block, Field, Module, Schema};

/// Adds a custom block at the end.
pub(super) fn add_block(s: &mut Schema, module: &str, name: Option<&str>, label: &str) -> R<()> {
    let n = s.version + 1;
    let m = module_mut(s, module)?;
    let label = check_label(label, "block label")?;
    if m.blocks.iter().any(|b| b.label.eq_ignore_ascii_case(&label)) {
        return Err(SchemaError::DuplicateLabel { module: m.name.clone(), label });
    }
    let name = name.map_or_else(|| format!("blk_{n}"), str::to_string);
    check_identifier(&name, "block name")?;
    if m.blocks.iter().any(|b| b.name.eq_ignore_ascii_case(&name)) {
        return Err(SchemaError::DuplicateName(name));
    }
    let sequence = m.blocks.iter().map(|b| b.sequence).max().unwrap_or(0) + 1;
    m.blocks.push(Block { name, label, sequence, custom: true });
    Ok(())
}

/// Changes a block's label.
pub(super) fn rename_block(s: &mut Schema, module: &str, block: &str, label: &str) -> R<()> {
    let m = module_mut(s, module)?;
    let b = block_name(m, block)?;
    let label = check_label(label, "block label")?;
    if m.blocks.iter().any(|x| x.name != b && x.label.eq_ignore_ascii_case(&label)) {
        return Err(SchemaError::DuplicateLabel { module: m.name.clone(), label });
    }
    if let Some(x) = m.blocks.iter_mut().find(|x| x.name == b) {
        x.label = label;
    }
    Ok(())
}

/// Puts the listed blocks first, in that order, then the others as they were.
pub(super) fn reorder_blocks(s: &mut Schema, module: &str, blocks: &[String]) -> R<()> {
    let m = module_mut(s, module)?;
    let mut listed = Vec::new();
    for b in blocks {
        let n = block_name(m, b)?;
        if !listed.contains(&n) {
            listed.push(n);
        }
    }
    let mut rest: Vec<&Block> = m.blocks.iter().filter(|b| !listed.contains(&b.name)).collect();
    rest.sort_by_key(|b| b.sequence);
    let mut order = listed.clone();
    order.extend(rest.into_iter().map(|b| b.name.clone()));
    for b in &mut m.blocks {
        b.sequence = order.iter().position(|x| *x == b.name).map_or(u32::MAX, |i| i as u32 + 1);
    }
    m.blocks.sort_by_key(|b| b.sequence);
    Ok(())
}

/// Deletes an empty custom block.
pub(super) fn delete_block(s: &mut Schema, module: &str, block: &str) -> R<()> {
    let m = module_mut(s, module)?;
    let b = block_name(m, block)?;
    if m.blocks.iter().any(|x| x.name == b && !x.custom) {
        return Err(SchemaError::Standard(b));
    }
    if m.fields.iter().any(|f| f.block == b) {
        return Err(SchemaError::BlockNotEmpty(b));
    }
    m.blocks.retain(|x| x.name != b);
    for (i, x) in m.blocks.iter_mut().enumerate() {
        x.sequence = i as u32 + 1;
    }
    Ok(())
}

/// The internal name of the block named by name or label.
pub(super) fn block_name(m: &Module, key: &str) -> R<String> {
    let k = key.trim();
    m.blocks
        .iter()
        .find(|b| b.name == k)
        .or_else(|| m.blocks.iter().find(|b| b.name.eq_ignore_ascii_case(k) || b.label.eq_ignore_ascii_case(k)))
        .map(|b| b.name.clone())
        .ok_or_else(|| SchemaError::UnknownBlock { module: m.name.clone(), block: key.to_string() })
}

/// Field names of a block in sequence order.
pub(super) fn block_order(m: &Module, block: &str) -> Vec<String> {
    let mut v: Vec<&Field> = m.fields.iter().filter(|f| f.block == block).collect();
    v.sort_by_key(|f| f.sequence);
    v.into_iter().map(|f| f.name.clone()).collect()
}

/// Sets the sequence of a block's fields to their position in `order`.
pub(super) fn renumber(m: &mut Module, block: &str, order: &[String]) {
    for f in m.fields.iter_mut().filter(|f| f.block == block) {
        if let Some(i) = order.iter().position(|x| *x == f.name) {
            f.sequence = i as u32 + 1;
        }
    }
}
