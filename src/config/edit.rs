//! Editing environment files with `toml_edit`, for the commands that write them (`import`,
//! `migrate`): comments and key order of what is already there survive, tables are created
//! along a dotted path, and every value set says what it replaced.

use toml_edit::{Item, Table, Value};

/// What setting one value did to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The key was not there.
    Added,
    /// The key held the same value already.
    Unchanged,
    /// The key held another value, shown as it was written.
    Replaced(String),
}

/// Puts `# text` on the line above `key`.
pub fn comment(table: &mut Table, key: &str, text: &str) {
    if let Some(mut key) = table.key_mut(key) {
        key.leaf_decor_mut().set_prefix(format!("# {text}\n"));
    }
}

/// The table at `path` under `root`, created where missing: intermediate tables implicit (no
/// header of their own), the last one with a `[header]`. An `Err` names the first key on the
/// path that holds something other than a table.
pub fn table_at<'t>(root: &'t mut Table, path: &[&str]) -> Result<&'t mut Table, String> {
    let mut table = root;
    for (depth, key) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        if !table.contains_key(key) {
            let mut fresh = Table::new();
            fresh.set_implicit(!last);
            table.insert(key, Item::Table(fresh));
        }
        let item = table.get_mut(key).ok_or_else(|| path[..=depth].join("."))?;
        if let Item::Value(Value::InlineTable(inline)) = item {
            // An inline table cannot hold a `[header]` table: write it out as a table.
            let expanded = std::mem::take(inline).into_table();
            *item = Item::Table(expanded);
        }
        table = item.as_table_mut().ok_or_else(|| path[..=depth].join("."))?;
    }
    Ok(table)
}

/// Sets `key` of `table` to `value`, keeping the comments around a value it replaces.
pub fn set(table: &mut Table, key: &str, value: Value) -> Edit {
    let Some(existing) = table.get_mut(key) else {
        table.insert(key, Item::Value(value));
        return Edit::Added;
    };
    if let Some(old) = existing.as_value() {
        if same(old, &value) {
            return Edit::Unchanged;
        }
    }
    let was = match existing.as_value() {
        Some(old) => {
            let mut old = old.clone();
            old.decor_mut().clear();
            old.to_string()
        }
        None => existing.to_string().trim().to_string(),
    };
    match existing {
        Item::Value(old) => {
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        other => *other = Item::Value(value),
    }
    Edit::Replaced(was)
}

/// True when two values mean the same, however they are written.
pub fn same(a: &Value, b: &Value) -> bool {
    let parsed = |value: &Value| {
        let mut value = value.clone();
        value.decor_mut().clear();
        toml::from_str::<toml::Table>(&format!("v = {value}")).ok().and_then(|mut t| t.remove("v"))
    };
    match (parsed(a), parsed(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml_edit::DocumentMut;

    #[test]
    fn sets_values_keeping_comments_and_says_what_it_replaced() {
        let mut document: DocumentMut =
            "# mine\n[services.api.deploy]\n# why\nstart_command = \"a\"   # keep\nreplicas = 2\n".parse().unwrap();
        let deploy = table_at(document.as_table_mut(), &["services", "api", "deploy"]).unwrap();
        assert_eq!(set(deploy, "start_command", "b".into()), Edit::Replaced("\"a\"".into()));
        assert_eq!(set(deploy, "replicas", 2.into()), Edit::Unchanged);
        assert_eq!(set(deploy, "cron_schedule", "*/5 * * * *".into()), Edit::Added);
        let build = table_at(document.as_table_mut(), &["services", "web", "build"]).unwrap();
        set(build, "builder", "dockerfile".into());
        let text = document.to_string();
        assert!(text.contains("# why\nstart_command = \"b\"   # keep\n"), "{text}");
        assert!(text.contains("[services.web.build]\nbuilder = \"dockerfile\""), "{text}");
        assert!(!text.contains("[services.web]\n"), "intermediate tables stay implicit:\n{text}");
    }

    #[test]
    fn a_path_through_a_value_is_refused_by_name() {
        let mut document: DocumentMut = "[services]\napi = 3\n".parse().unwrap();
        assert_eq!(table_at(document.as_table_mut(), &["services", "api", "deploy"]).unwrap_err(), "services.api");
    }
}
