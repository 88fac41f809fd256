//! Finding the config files of a repository: every `railway.toml` and `railway.json` under the
//! folder, `.gitignore`d paths, hidden folders and `node_modules` left out (a monorepo has one
//! per service), plus any custom config path a live service instance names.

use std::path::{Path, PathBuf};

use crate::diag::{printable, Diagnostic};

/// The names Railway looks for.
pub const NAMES: &[&str] = &["railway.toml", "railway.json"];

/// Every config file under `dir`, as paths relative to it with `/` separators, sorted.
pub fn find(dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut found = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != "node_modules")
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|kind| kind.is_file());
                let named = entry.file_name().to_str().is_some_and(|name| NAMES.contains(&name));
                if is_file && named {
                    if let Some(relative) = relative(dir, entry.path()) {
                        found.push(relative);
                    }
                }
            }
            Err(error) => diagnostics.push(
                Diagnostic::error(format!("cannot read part of `{}`: {error}", printable(&dir.display().to_string())))
                    .hint("check the folder's permissions: a config file there would be missed"),
            ),
        }
    }
    found.sort();
    found
}

/// `path` relative to `dir`, `/`-separated.
fn relative(dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(dir).ok()?;
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    Some(parts.join("/"))
}

/// A config path as Railway stores it (`/apps/api/railway.toml`, `./railway.json`) relative to
/// the repository's root; `None` when it leaves the repository.
pub fn normalize(path: &str) -> Option<String> {
    let mut rest = path.trim();
    loop {
        let next = rest.trim_start_matches('/').trim_start_matches("./");
        if next.len() == rest.len() {
            break;
        }
        rest = next;
    }
    let rest = rest.trim_end_matches('/');
    if rest.split('/').any(|part| part == "..") {
        return None;
    }
    Some(rest.to_string())
}

/// The folder of a relative config path (`""` for the repository's root).
pub fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// The path `dir/relative`.
pub fn join(dir: &Path, relative: &str) -> PathBuf {
    relative.split('/').fold(dir.to_path_buf(), |path, part| path.join(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_config_file_but_ignored_ones() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str| {
            let full = join(dir.path(), path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, "").unwrap();
        };
        for path in [
            "railway.toml",
            "apps/api/railway.toml",
            "apps/web/railway.json",
            "apps/web/node_modules/x/railway.json",
            "build/railway.toml",
            ".cache/railway.toml",
            "apps/api/other.toml",
        ] {
            write(path);
        }
        std::fs::write(dir.path().join(".gitignore"), "build/\n").unwrap();
        let mut diagnostics = Vec::new();
        assert_eq!(
            find(dir.path(), &mut diagnostics),
            ["apps/api/railway.toml", "apps/web/railway.json", "railway.toml"]
        );
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn railway_paths_are_relative_to_the_repository() {
        assert_eq!(normalize("/apps/api/railway.toml").as_deref(), Some("apps/api/railway.toml"));
        assert_eq!(normalize("./railway.json").as_deref(), Some("railway.json"));
        assert_eq!(normalize("apps/../../x/railway.json"), None);
        assert_eq!(normalize("/apps/api/").as_deref(), Some("apps/api"));
        assert_eq!(folder("apps/api/railway.toml"), "apps/api");
        assert_eq!(folder("railway.toml"), "");
    }
}
