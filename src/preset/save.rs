//! Writing a preset back to disk without losing what the user wrote: a file that changed since
//! it was loaded, or that holds comments the editor cannot keep, is only overwritten when the
//! user says so.

use std::path::{Path, PathBuf};

use super::Preset;

/// What saving over a preset file would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveCheck {
    /// The file is as it was loaded and has no comments: write it.
    Safe,
    /// Ask first: saving would throw away something the user wrote.
    Ask(String),
}

/// Checks `path` against the text it had when the live preset came from it (`seen`), for a save
/// of the editor's values (which writes no comments).
pub fn check_save(path: &Path, seen: Option<&str>) -> SaveCheck {
    check(path, seen, false)
}

/// The same for a save of the text editor's text, which is written as typed: the file's comments
/// were in that text, so only a change on disk (or a file the editor never loaded) asks.
pub fn check_save_text(path: &Path, seen: Option<&str>) -> SaveCheck {
    check(path, seen, true)
}

fn check(path: &Path, seen: Option<&str>, keeps_comments: bool) -> SaveCheck {
    let name = path.display();
    let now = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return SaveCheck::Ask(format!("{name} cannot be read ({e}); overwrite it?")),
    };
    match (now, seen) {
        (None, _) => SaveCheck::Safe,
        (Some(now), Some(seen)) if now != seen => SaveCheck::Ask(format!(
            "{name} was changed on disk since it was loaded; overwrite those changes?"
        )),
        (Some(_), None) => SaveCheck::Ask(format!(
            "{name} was not loaded by this editor; overwrite it?"
        )),
        (Some(now), Some(_))
            if !keeps_comments
                && has_comments(now.strip_prefix(super::SAVED_HEADER).unwrap_or(&now)) =>
        {
            SaveCheck::Ask(format!(
                "{name} has comments, which saving does not keep; overwrite it?"
            ))
        }
        _ => SaveCheck::Safe,
    }
}

/// Whether RON text holds a comment (outside strings).
fn has_comments(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    let mut previous = '\0';
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            in_string = true;
        } else if previous == '/' && (c == '/' || c == '*') {
            return true;
        }
        previous = if in_string { '\0' } else { c };
    }
    false
}

/// Writes the preset the way careful editors do: a temporary file beside it, then a rename, so a
/// watcher never reads half a file. Returns the text written.
pub fn write_preset(path: &Path, preset: &Preset) -> std::io::Result<String> {
    let text = preset.to_ron();
    write_text(path, &text)?;
    Ok(text)
}

/// Writes a preset's text as it is (the text editor's: the user's comments stay), the same way.
pub fn write_text(path: &Path, text: &str) -> std::io::Result<()> {
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{file_name}.saving"));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

/// A file name beside `path` that does not exist yet: `studio-1.preset.ron`, `studio-2…`.
pub fn unused_name(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let stem = file_name
        .strip_suffix(&format!(".{}", super::EXTENSION))
        .unwrap_or(&file_name);
    // Saving a copy of a copy: `studio-1` → `studio-2`, not `studio-1-1`.
    let base = match stem.rsplit_once('-') {
        Some((base, n)) if n.parse::<u32>().is_ok() => base,
        _ => stem,
    };
    (1..)
        .map(|n| dir.join(format!("{base}-{n}.{}", super::EXTENSION)))
        .find(|candidate| !candidate.exists())
        .expect("some number is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_found_outside_strings_only() {
        assert!(has_comments("// a\n()"));
        assert!(has_comments("(blur_radius: 3.0 /* px */)"));
        assert!(!has_comments("(background: Image(\"a//b.png\"))"));
        assert!(!has_comments("(model: \"x\\\"//\")"));
    }

    #[test]
    fn saving_asks_before_losing_what_the_user_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.preset.ron");
        // A new file: nothing to lose.
        assert_eq!(check_save(&path, None), SaveCheck::Safe);
        let written = write_preset(&path, &Preset::default()).unwrap();
        // The editor's own header is a comment, but the editor's: saving again is safe.
        assert_eq!(check_save(&path, Some(&written)), SaveCheck::Safe);
        // Edited on disk since.
        std::fs::write(&path, "(blur_radius: 3.0)").unwrap();
        assert!(
            matches!(check_save(&path, Some(&written)), SaveCheck::Ask(m) if m.contains("changed on disk"))
        );
        // Unchanged, but commented by hand.
        std::fs::write(&path, "// mine\n(blur_radius: 3.0)").unwrap();
        assert!(
            matches!(check_save(&path, Some("// mine\n(blur_radius: 3.0)")), SaveCheck::Ask(m) if m.contains("comments"))
        );
        // The write left no temporary file behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("mine.preset.ron")]);
    }

    #[test]
    fn new_names_count_up() {
        let dir = tempfile::tempdir().unwrap();
        let studio = dir.path().join("studio.preset.ron");
        assert_eq!(unused_name(&studio), dir.path().join("studio-1.preset.ron"));
        std::fs::write(dir.path().join("studio-1.preset.ron"), "()").unwrap();
        assert_eq!(unused_name(&studio), dir.path().join("studio-2.preset.ron"));
        assert_eq!(
            unused_name(&dir.path().join("studio-1.preset.ron")),
            dir.path().join("studio-2.preset.ron")
        );
    }
}
