//! Which service a config file configures, in this order: a `--service DIR=NAME` pin; the live
//! instances whose `configFile` names it (several services may share one file); the live
//! service whose root directory is its folder; the service of the environment files whose
//! `root_directory` is its folder; else the folder's name. Two candidates where one is
//! expected is an error listing them and the pin that settles it.

use std::collections::{BTreeMap, BTreeSet};

use super::discover::{folder, normalize};
use crate::config::names::{check_name, NameKind};
use crate::diag::{Diagnostic, Location};

/// What is known about the services, besides the config files themselves.
#[derive(Debug, Clone, Default)]
pub struct Clues {
    /// A live instance's `configFile` (normalized) → the services that read it.
    pub config_files: BTreeMap<String, BTreeSet<String>>,
    /// A live instance's root directory (normalized) → its services.
    pub live_roots: BTreeMap<String, BTreeSet<String>>,
    /// `root_directory` in the environment files already there → their services.
    pub file_roots: BTreeMap<String, BTreeSet<String>>,
    /// `--service DIR=NAME`: a folder or file (normalized) → services.
    pub pins: BTreeMap<String, BTreeSet<String>>,
    /// The name of the repository's folder, for a config file at its root.
    pub root_name: String,
}

/// How a config file found its services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Pinned,
    ConfigFile,
    LiveRootDirectory,
    RootDirectory,
    FolderName,
}

impl How {
    pub fn describe(self) -> &'static str {
        match self {
            How::Pinned => "pinned with --service",
            How::ConfigFile => "the live service's config file",
            How::LiveRootDirectory => "the live service's root directory",
            How::RootDirectory => "root_directory in the environment files",
            How::FolderName => "the folder's name",
        }
    }
}

/// The services the config file at `path` (relative, `/`-separated) configures. `at` locates
/// the file for an error.
pub fn assign(path: &str, at: &Location, clues: &Clues) -> Result<(Vec<String>, How), Diagnostic> {
    let dir = folder(path);
    let pin_hint = |names: &[&String]| {
        let shown = if dir.is_empty() { "." } else { dir };
        let examples: Vec<String> = names.iter().map(|name| format!("--service {shown}={name}")).collect();
        format!("pin the services it configures: {}", examples.join(" or "))
    };
    for key in [path, dir] {
        if let Some(names) = clues.pins.get(key) {
            return Ok((names.iter().cloned().collect(), How::Pinned));
        }
    }
    if let Some(names) = clues.config_files.get(path) {
        return Ok((names.iter().cloned().collect(), How::ConfigFile));
    }
    for (roots, how, whose) in [
        (&clues.live_roots, How::LiveRootDirectory, "the live services whose root directory is"),
        (&clues.file_roots, How::RootDirectory, "the services whose root_directory is"),
    ] {
        let Some(names) = roots.get(dir) else { continue };
        if names.len() == 1 {
            return Ok((names.iter().cloned().collect(), how));
        }
        let listed: Vec<&String> = names.iter().collect();
        let shown = if dir.is_empty() { "the repository's root".to_string() } else { format!("`{dir}`") };
        return Err(Diagnostic::error(format!(
            "`{path}` could be the settings of any of {}: {whose} {shown}",
            listed.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ))
        .at(at.clone())
        .label("which service?")
        .hint(pin_hint(&listed)));
    }
    let name = if dir.is_empty() { clues.root_name.clone() } else { dir.rsplit('/').next().unwrap_or(dir).to_string() };
    if let Err(problem) = check_name(NameKind::Service, &name) {
        return Err(Diagnostic::error(format!(
            "`{path}` is for a service named after its folder, `{name}`, and {}",
            problem.message
        ))
        .at(at.clone())
        .label("which service?")
        .hint(pin_hint(&[&"NAME".to_string()])));
    }
    Ok((vec![name], How::FolderName))
}

/// `--service DIR=NAME` arguments as pins; an `Err` says which argument is malformed.
pub fn pins(arguments: &[String]) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut pins: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for argument in arguments {
        let Some((dir, name)) = argument.split_once('=') else {
            return Err(format!("--service {argument}: write DIR=NAME, as in --service apps/api=platform-api"));
        };
        let Some(dir) = normalize(dir) else {
            return Err(format!("--service {argument}: `{dir}` leaves the repository"));
        };
        let dir = if dir == "." { String::new() } else { dir };
        if name.trim().is_empty() {
            return Err(format!("--service {argument}: no service name after `=`"));
        }
        pins.entry(dir).or_default().insert(name.trim().to_string());
    }
    Ok(pins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;
    use std::path::Path;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn config_file_then_root_directory_then_folder_name_and_ambiguity_names_the_pin() {
        let file = SourceFile::new(Path::new("apps/api/railway.toml"), String::new());
        let at = Location::new(&file, 0..0);
        let mut clues = Clues { root_name: "shop".into(), ..Clues::default() };
        assert_eq!(assign("apps/api/railway.toml", &at, &clues).unwrap(), (vec!["api".into()], How::FolderName));
        assert_eq!(assign("railway.toml", &at, &clues).unwrap(), (vec!["shop".into()], How::FolderName));
        clues.file_roots.insert("apps/api".into(), set(&["api-server", "api-worker"]));
        let error = assign("apps/api/railway.toml", &at, &clues).unwrap_err();
        assert!(error.message.contains("`api-server`, `api-worker`"), "{}", error.message);
        assert!(error.hint.unwrap().contains("--service apps/api=api-server"));
        clues.config_files.insert("apps/api/railway.toml".into(), set(&["platform-api", "platform-worker"]));
        let (names, how) = assign("apps/api/railway.toml", &at, &clues).unwrap();
        assert_eq!((names, how), (vec!["platform-api".to_string(), "platform-worker".into()], How::ConfigFile));
        clues.pins = pins(&["./apps/api/=api".to_string()]).unwrap();
        assert_eq!(assign("apps/api/railway.toml", &at, &clues).unwrap(), (vec!["api".into()], How::Pinned));
        assert!(pins(&["apps/api".to_string()]).is_err());
    }
}
