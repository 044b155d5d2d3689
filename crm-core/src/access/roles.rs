//! The role tree.

use serde::{Deserialize, Serialize};

/// A role: a name and its parent (none for a root, vtiger's "Organization").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Unique name, e.g. `Sales Manager`.
    pub name: String,
    /// The parent role's name.
    #[serde(default)]
    pub parent: Option<String>,
}

/// The names of every role below `name` (children, their children, ...), not `name` itself.
pub fn subordinates(roles: &[Role], name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack = vec![name.to_string()];
    while let Some(n) = stack.pop() {
        for r in roles.iter().filter(|r| r.parent.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&n))) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&r.name)) && !r.name.eq_ignore_ascii_case(name) {
                out.push(r.name.clone());
                stack.push(r.name.clone());
            }
        }
    }
    out
}

/// True when `role` is `of` or below it.
pub fn is_at_or_below(roles: &[Role], role: &str, of: &str) -> bool {
    role.eq_ignore_ascii_case(of) || subordinates(roles, of).iter().any(|s| s.eq_ignore_ascii_case(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subordinates_walk_the_tree() {
        let r = |n: &str, p: Option<&str>| Role { name: n.into(), parent: p.map(str::to_string) };
        let roles =
            vec![r("CEO", None), r("VP", Some("CEO")), r("Manager", Some("VP")), r("Rep", Some("Manager")), r("Support", Some("CEO"))];
        assert_eq!(subordinates(&roles, "VP"), vec!["Manager".to_string(), "Rep".to_string()]);
        assert!(is_at_or_below(&roles, "Rep", "CEO"));
        assert!(!is_at_or_below(&roles, "Support", "VP"));
    }
}
