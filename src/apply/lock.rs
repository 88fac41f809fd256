//! The apply lock: at most one `railform apply` at a time per project and API on this machine,
//! whatever folder it is started from, held as an advisory `flock` on a file in the machine's
//! temporary folder (`railform-locks/`, named by a digest of the endpoint and the project) for
//! the whole run (plan, confirmation, execution, verification). A second apply started meanwhile
//! fails at once, before writing anything, with an error naming the project. The kernel drops
//! the lock when the process ends, however it ends (a SIGKILLed apply leaves no stale lock), so
//! the file itself is never removed.
//!
//! Railway offers no lock of its own, so applies from different machines are not serialised by
//! this (use a CI concurrency group): see `docs/RELIABILITY.md` for what happens then.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::secret::sha256_hex;

/// The lock file of `project` on the API `target` (an endpoint URL, or the emulator's state file).
pub fn lock_path(target: &str, project: &str) -> PathBuf {
    let name = &sha256_hex(&format!("{target}\n{project}"))[..32];
    std::env::temp_dir().join("railform-locks").join(format!("{name}.lock"))
}

/// Held for as long as this value lives.
#[derive(Debug)]
pub struct ApplyLock {
    _file: std::fs::File,
}

impl ApplyLock {
    /// Takes the lock at `path`, creating the file (and its folder) when needed; fails without
    /// waiting when another process holds it.
    pub fn acquire(path: &Path, what: &str) -> anyhow::Result<ApplyLock> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening the apply lock {}", path.display()))?;
        lock_exclusive(&file, path, what)?;
        Ok(ApplyLock { _file: file })
    }
}

#[cfg(unix)]
fn lock_exclusive(file: &std::fs::File, path: &Path, what: &str) -> anyhow::Result<()> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(error) if error == rustix::io::Errno::WOULDBLOCK => anyhow::bail!(
            "another railform apply is running for {what} on this machine (it holds {}). Nothing was changed; \
             run apply again when it has finished",
            path.display()
        ),
        Err(error) => {
            Err(anyhow::Error::new(std::io::Error::from(error))).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Elsewhere applies are not serialised (the lock file is still created, harmlessly).
#[cfg(not(unix))]
fn lock_exclusive(_file: &std::fs::File, _path: &Path, _what: &str) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let path = lock_path("test-endpoint", &format!("project-{}", std::process::id()));
        let first = ApplyLock::acquire(&path, "project p").unwrap();
        let refused = ApplyLock::acquire(&path, "project p").unwrap_err().to_string();
        assert!(refused.contains("another railform apply is running for project p"), "{refused}");
        drop(first);
        ApplyLock::acquire(&path, "project p").unwrap();
    }

    #[test]
    fn projects_and_endpoints_have_their_own_locks() {
        assert_eq!(lock_path("e", "p"), lock_path("e", "p"));
        assert_ne!(lock_path("e", "p"), lock_path("e", "q"));
        assert_ne!(lock_path("e", "p"), lock_path("f", "p"));
    }
}
