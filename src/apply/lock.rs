//! The apply lock: at most one `railform apply` at a time per working directory, held as an
//! advisory `flock` on `.railform/apply.lock` for the whole run (plan, confirmation, execution,
//! verification). A second apply started meanwhile fails at once, before reading or writing
//! anything, with an error naming the lock. The kernel drops the lock when the process ends,
//! however it ends (a SIGKILLed apply leaves no stale lock), so the file itself is never removed.
//!
//! Railway offers no lock of its own, so applies from different machines or folders are not
//! serialised by this: see `docs/RELIABILITY.md` for what happens then.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Where the lock lives, relative to the working directory.
pub const LOCK_FILE: &str = ".railform/apply.lock";

/// Held for as long as this value lives.
#[derive(Debug)]
pub struct ApplyLock {
    _file: std::fs::File,
    pub path: PathBuf,
}

impl ApplyLock {
    /// Takes the lock at `path`, creating the file (and its folder) when needed; fails without
    /// waiting when another process holds it.
    pub fn acquire(path: &Path) -> anyhow::Result<ApplyLock> {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening the apply lock {}", path.display()))?;
        lock_exclusive(&file, path)?;
        Ok(ApplyLock { _file: file, path: path.to_path_buf() })
    }
}

#[cfg(unix)]
fn lock_exclusive(file: &std::fs::File, path: &Path) -> anyhow::Result<()> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(error) if error == rustix::io::Errno::WOULDBLOCK => anyhow::bail!(
            "another railform apply is running in this folder (it holds {}). Nothing was changed; \
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
fn lock_exclusive(_file: &std::fs::File, _path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join(LOCK_FILE);
        let first = ApplyLock::acquire(&path).unwrap();
        let refused = ApplyLock::acquire(&path).unwrap_err().to_string();
        assert!(refused.contains("another railform apply is running"), "{refused}");
        drop(first);
        ApplyLock::acquire(&path).unwrap();
    }
}
