//! Maps byte offsets in a TOML source to `line:column` and dotted key paths, so
//! every config error can name the key and line it is about.

use std::ops::Range;

use toml_edit::{Document, Item, Table};

/// One position in the source: 1-based line and column.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..source.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The dotted path (`feeds[2].schedule`) of the innermost key whose key or value
/// covers `offset`.
pub(crate) fn key_at(source: &str, offset: usize) -> Option<String> {
    let doc = Document::parse(source).ok()?;
    find_in_table(doc.as_table(), offset, "")
}

/// The byte span of the value at `path` (e.g. `["feeds", "3", "name"]`; an
/// array of tables takes the index as the next part).
pub(crate) fn span_of(source: &str, path: &[&str]) -> Option<Range<usize>> {
    let doc = Document::parse(source).ok()?;
    let mut table: &Table = doc.as_table();
    let mut parts = path.iter().peekable();
    while let Some(part) = parts.next() {
        let item = table.get(part)?;
        match item {
            Item::Table(t) => table = t,
            Item::ArrayOfTables(array) => table = array.get(parts.next()?.parse().ok()?)?,
            Item::Value(_) => return parts.peek().is_none().then(|| item.span()).flatten(),
            Item::None => return None,
        }
    }
    table.span()
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn covers(span: Option<Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|r| r.start <= offset && offset < r.end.max(r.start + 1))
}

fn find_in_table(table: &Table, offset: usize, prefix: &str) -> Option<String> {
    for (name, item) in table.iter() {
        let path = join(prefix, name);
        let key_span = table.key(name).and_then(|k| k.span());
        match item {
            Item::Table(t) => {
                if let Some(found) = find_in_table(t, offset, &path) {
                    return Some(found);
                }
                if covers(key_span, offset) || covers(t.span(), offset) {
                    return Some(path);
                }
            }
            Item::ArrayOfTables(array) => {
                for (i, t) in array.iter().enumerate() {
                    let indexed = format!("{path}[{i}]");
                    if let Some(found) = find_in_table(t, offset, &indexed) {
                        return Some(found);
                    }
                    if covers(t.span(), offset) {
                        return Some(indexed);
                    }
                }
            }
            Item::Value(_) => {
                if covers(key_span, offset) || covers(item.span(), offset) {
                    return Some(path);
                }
            }
            Item::None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "[fetch]\ntimeout = \"20s\"\n\n[[feeds]]\nname = \"a\"\n\n[[feeds]]\nname = \"b\"\nschedule = \"bad\"\n";

    #[test]
    fn finds_keys_inside_arrays_of_tables() {
        let at = SRC.find("\"bad\"").expect("present");
        assert_eq!(key_at(SRC, at).as_deref(), Some("feeds[1].schedule"));
        assert_eq!(line_col(SRC, at), (9, 12));
        let at = SRC.find("\"20s\"").expect("present");
        assert_eq!(key_at(SRC, at).as_deref(), Some("fetch.timeout"));
    }

    #[test]
    fn spans_of_paths() {
        let span = span_of(SRC, &["feeds", "1", "name"]).expect("found");
        assert_eq!(&SRC[span], "\"b\"");
    }
}
