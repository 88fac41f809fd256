//! Which files loading may open, and how they are found.
//!
//! The *configuration root* is the folder named on the command line, or, for a file named
//! there, the folder that file is in. Loading opens only regular `*.toml` files inside a root,
//! after every symlink is followed: an `extends` that names `/proc/self/environ`, `../../x.toml`
//! or a symlink `passwd.toml -> /etc/passwd` is refused before anything is read, so no error
//! can ever quote a file that is not a railform file. (A file named on the command line is the
//! user's own choice: it only has to be a regular `.toml` file.) Project-local templates follow
//! the same rule, with one more place allowed: the `templates/` folder beside the root.
//!
//! Folders are walked once each, by their canonical path, so symlink loops end; a FIFO, socket
//! or device named `*.toml` is an error, never a wait; a folder that cannot be read is an error,
//! never a silent skip (its environments would vanish from the plan and the drift check).

use std::collections::BTreeSet;
use std::fs::{self, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{printable, Diagnostic};

/// Largest file loading reads: anything bigger is not an environment file someone wrote.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A folder loading may read from, as the user named it and as it really is.
#[derive(Debug)]
pub struct Root {
    pub shown: PathBuf,
    pub canonical: PathBuf,
}

impl Root {
    fn new(shown: &Path) -> std::io::Result<Arc<Root>> {
        let shown = if shown.as_os_str().is_empty() { Path::new(".") } else { shown };
        Ok(Arc::new(Root { shown: shown.to_path_buf(), canonical: fs::canonicalize(shown)? }))
    }

    fn contains(&self, canonical: &Path) -> bool {
        canonical.starts_with(&self.canonical)
    }

    /// `templates/` beside the root, where project templates usually live.
    fn sibling_templates(&self) -> Option<PathBuf> {
        fs::canonicalize(self.canonical.parent()?.join("templates")).ok()
    }
}

/// A file loading will read: the path as shown to the user, its real path, and its root.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub canonical: PathBuf,
    pub root: Arc<Root>,
}

/// Every environment or base file named or found under `paths`, each once, in a stable order
/// (each argument's files sorted by path). Every problem on the way is a diagnostic.
pub fn discover(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Vec<Found> {
    let mut walk = Walk { files: Vec::new(), seen_files: BTreeSet::new(), seen_folders: BTreeSet::new(), diagnostics };
    for path in paths {
        let shown = printable(&path.display().to_string()).into_owned();
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                walk.diagnostics.push(
                    Diagnostic::error(format!("`{shown}` does not exist"))
                        .hint("name an environment file or a folder of them (default: environments/)"),
                );
                continue;
            }
            Err(error) => {
                walk.diagnostics.push(cannot_read(&shown, &error));
                continue;
            }
        };
        if metadata.is_dir() {
            match Root::new(path) {
                Ok(root) => {
                    walk.seen_folders.insert(root.canonical.clone());
                    walk.folder(path, &root);
                }
                Err(error) => walk.diagnostics.push(cannot_read(&shown, &error)),
            }
        } else if !metadata.is_file() {
            walk.diagnostics.push(
                Diagnostic::error(format!("`{shown}` is {}, not an environment file", kind(&metadata)))
                    .hint("name a .toml file or a folder of them"),
            );
        } else if !is_toml(path) {
            walk.diagnostics.push(
                Diagnostic::error(format!("`{shown}` is not a .toml file"))
                    .hint("environment files are TOML files named *.toml"),
            );
        } else {
            let folder = path.parent().unwrap_or(Path::new("."));
            match (Root::new(folder), fs::canonicalize(path)) {
                (Ok(root), Ok(canonical)) => walk.push(Found { path: path.clone(), canonical, root }),
                (Err(error), _) | (_, Err(error)) => walk.diagnostics.push(cannot_read(&shown, &error)),
            }
        }
    }
    walk.files
}

struct Walk<'d> {
    files: Vec<Found>,
    seen_files: BTreeSet<PathBuf>,
    /// Canonical paths of the folders walked: each real folder is walked once.
    seen_folders: BTreeSet<PathBuf>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Walk<'_> {
    fn push(&mut self, found: Found) {
        if self.seen_files.insert(found.canonical.clone()) {
            self.files.push(found);
        }
    }

    /// The `.toml` files of `folder` and its sub-folders (hidden ones skipped), sorted.
    fn folder(&mut self, folder: &Path, root: &Arc<Root>) {
        let shown = printable(&folder.display().to_string()).into_owned();
        let entries = match fs::read_dir(folder) {
            Ok(entries) => entries,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(format!("cannot read folder `{shown}`: {error}"))
                        .hint("its environment files would be left out: let railform read it (chmod u+rx), or move it out of the path given"),
                );
                return;
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(error) => {
                    self.diagnostics.push(
                        Diagnostic::error(format!("cannot list folder `{shown}`: {error}"))
                            .hint("check the folder and its permissions"),
                    );
                    return;
                }
            }
        }
        paths.sort();
        for path in paths {
            let hidden = path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'));
            if !hidden {
                self.entry(path, root);
            }
        }
    }

    fn entry(&mut self, path: PathBuf, root: &Arc<Root>) {
        let shown = printable(&path.display().to_string()).into_owned();
        let toml = is_toml(&path);
        // Follow symlinks: what matters is what the entry leads to.
        let (metadata, canonical) = match fs::metadata(&path).and_then(|m| Ok((m, fs::canonicalize(&path)?))) {
            Ok(found) => found,
            Err(error) if toml => {
                let what = if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    format!("`{shown}` is a symlink that leads nowhere ({error})")
                } else {
                    format!("cannot read `{shown}`: {error}")
                };
                self.diagnostics.push(Diagnostic::error(what).hint("fix or remove it"));
                return;
            }
            // Not ours (a broken link named anything but *.toml): nothing to read.
            Err(_) => return,
        };
        if !metadata.is_dir() && !toml {
            return;
        }
        if !root.contains(&canonical) {
            self.diagnostics.push(outside_root(&format!("`{shown}`"), &canonical, root));
            return;
        }
        if metadata.is_dir() {
            if self.seen_folders.insert(canonical) {
                self.folder(&path, root);
            }
        } else if metadata.is_file() {
            self.push(Found { path, canonical, root: Arc::clone(root) });
        } else {
            self.diagnostics.push(
                Diagnostic::error(format!("`{shown}` is {}, not an environment file", kind(&metadata)))
                    .hint("only regular files are read: remove it or rename it so it does not end in .toml"),
            );
        }
    }
}

/// The file an `extends = "TARGET"` in `from` names, if loading may read it; otherwise why not
/// (a diagnostic without a location: the caller points it at the `extends` value).
pub fn extends(from: &Found, target: &str) -> Result<Found, Diagnostic> {
    let path = from.path.parent().unwrap_or(Path::new(".")).join(target);
    let shown = printable(&path.display().to_string()).into_owned();
    let relative = "the path is relative to the file that says `extends`";
    let metadata = match fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(Diagnostic::error(format!("`extends` names `{shown}`, which does not exist"))
                .label("no such file")
                .hint(relative));
        }
        Err(error) => {
            return Err(Diagnostic::error(format!("`extends` names `{shown}`, which cannot be read: {error}"))
                .label("unreadable")
                .hint(relative));
        }
    };
    if metadata.is_dir() {
        return Err(Diagnostic::error(format!("`extends` names `{shown}`, which is a folder"))
            .label("a folder, not a file")
            .hint(format!("name a .toml file in it, as in `extends = \"{}/base.toml\"`", printable(target))));
    }
    if !metadata.is_file() {
        return Err(Diagnostic::error(format!("`extends` names `{shown}`, which is {}", kind(&metadata)))
            .label("not a regular file")
            .hint("`extends` names a base file: a regular .toml file"));
    }
    if !is_toml(&path) {
        return Err(Diagnostic::error(format!("`extends` names `{shown}`, which is not a .toml file"))
            .label("not a .toml file")
            .hint("`extends` names another environment or base file (*.toml)"));
    }
    let canonical = fs::canonicalize(&path).map_err(|error| {
        Diagnostic::error(format!("`extends` names `{shown}`, which cannot be read: {error}")).hint(relative)
    })?;
    if !from.root.contains(&canonical) {
        let subject = format!("`extends` names `{shown}`, which");
        return Err(outside_root(&subject, &canonical, &from.root).label("outside the configuration root"));
    }
    Ok(Found { path, canonical, root: Arc::clone(&from.root) })
}

/// The text of a project-local template file, when `path` (`…/templates/NAME.toml.hbs`) exists:
/// `Ok(None)` when it does not, an error when it exists but may not be read (not a regular file,
/// or outside `root` and the `templates/` folder beside it).
pub fn template(path: &Path, root: &Path) -> Result<Option<String>, String> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.to_string()),
    };
    if !metadata.is_file() {
        return Err(format!("it is {}, not a regular file", kind(&metadata)));
    }
    let canonical = fs::canonicalize(path).map_err(|error| error.to_string())?;
    let root = Root::new(root).map_err(|error| error.to_string())?;
    let allowed = root.contains(&canonical) || root.sibling_templates().is_some_and(|t| canonical.starts_with(t));
    if !allowed {
        return Err(format!(
            "it leads to {}, outside the configuration root {} and the templates/ folder beside it",
            printable(&canonical.display().to_string()),
            printable(&root.shown.display().to_string())
        ));
    }
    let bytes = read_regular(&canonical).map_err(|error| error.to_string())?;
    String::from_utf8(bytes).map(Some).map_err(|_| "it is not valid UTF-8".to_string())
}

/// The bytes of a file found by [`discover`] or [`extends`].
pub fn read(found: &Found) -> std::io::Result<Vec<u8>> {
    read_regular(&found.canonical)
}

/// Reads a regular file without ever blocking on it: opened non-blocking and without following
/// a last symlink (the path is canonical), then checked to be a regular file of a sane size.
fn read_regular(canonical: &Path) -> std::io::Result<Vec<u8>> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW;
        options.custom_flags(flags.bits() as i32);
    }
    let file = options.open(canonical)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::other(format!("it is {}, not a regular file", kind(&metadata))));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "it is {} MiB, more than an environment file can be ({} MiB)",
            metadata.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn is_toml(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "toml")
}

fn cannot_read(shown: &str, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("cannot read `{shown}`: {error}")).hint("check the path and its permissions")
}

/// `subject` (such as "`environments/passwd.toml`") leads outside `root`.
fn outside_root(subject: &str, canonical: &Path, root: &Root) -> Diagnostic {
    let root_shown = printable(&root.shown.display().to_string()).into_owned();
    Diagnostic::error(format!(
        "{subject} leads to `{}`, outside the configuration root `{root_shown}`",
        printable(&canonical.display().to_string())
    ))
    .hint(format!(
        "railform reads only .toml files inside the folder it is given (or the folder of the file it \
         is given), here `{root_shown}`: move the file there, or give railform the folder that holds both"
    ))
}

/// What a file system object is, in words ("a folder", "a named pipe (FIFO)"…).
fn kind(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a file"
    } else {
        "not a regular file"
    }
}
