//! The one way railform writes a file it produces (saved plans, imported environments): into a
//! temporary file beside it, flushed to disk, then renamed over it, so a reader never sees a
//! half-written file and a crash leaves the old one. The folder is created when missing.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let mut temporary =
        tempfile::NamedTempFile::new_in(folder).with_context(|| format!("writing {}", path.display()))?;
    temporary.write_all(contents).with_context(|| format!("writing {}", path.display()))?;
    temporary.as_file().sync_all().with_context(|| format!("writing {}", path.display()))?;
    temporary.persist(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_into_a_new_folder_and_replaces_what_was_there() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("deeper/plan.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }
}
