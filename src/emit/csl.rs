//! CSL-JSON (`references.csl.json`): the bibliography format citeproc
//! processors (pandoc, Zotero, citeproc-js) read, so the extracted references
//! can be rendered in any citation style or imported into a reference manager.
//!
//! Every item is an `article-journal` whose `id` is the row id of the
//! `references` table, so CSL items and table rows join one to one.

use serde_json::{json, Map, Value};

use crate::model::Reference;
use crate::values::author::Author;

/// One CSL name object from a "Family, Initials" author string.
fn name(a: &str) -> Value {
    match a.parse::<Author>() {
        Ok(au) if !au.initials.is_empty() => {
            json!({"family": au.family, "given": au.given_dotted()})
        }
        Ok(au) => json!({"literal": au.family}),
        Err(_) => json!({"literal": a}),
    }
}

/// The CSL item of one reference; empty fields are left out.
pub fn csl_item(r: &Reference) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(r.id));
    m.insert("type".into(), json!("article-journal"));
    if !r.authors.is_empty() {
        m.insert(
            "author".into(),
            Value::Array(r.authors.iter().map(|a| name(a)).collect()),
        );
    }
    if let Some(y) = r.year {
        m.insert("issued".into(), json!({"date-parts": [[y]]}));
    }
    for (key, val) in [
        ("title", r.title.as_str()),
        ("container-title", r.journal.as_str()),
        ("volume", r.volume.as_str()),
        ("issue", r.issue.as_str()),
        ("page", r.pages.as_str()),
        ("DOI", r.doi.as_str()),
        ("language", r.title_lang.as_str()),
    ] {
        if !val.is_empty() {
            m.insert(key.into(), json!(val));
        }
    }
    Value::Object(m)
}

/// The CSL-JSON array of all references, pretty-printed.
pub fn csl_json(refs: &[Reference]) -> String {
    let bytes = write_csl_json(refs, Vec::new()).unwrap_or_else(|_| b"[]".to_vec());
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Write [`csl_json`] into `out` one item at a time: the items of a large
/// corpus as one JSON tree would take several times the file's size.
pub fn write_csl_json<W: std::io::Write>(refs: &[Reference], out: W) -> std::io::Result<W> {
    super::write_pretty_array(refs.iter().map(csl_item), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_fields() {
        let r = Reference {
            id: "abc".into(),
            authors: vec!["Søndergaard, KL".into(), "Madonna".into()],
            year: Some(2019),
            title: "A title".into(),
            journal: "J Test".into(),
            volume: "3".into(),
            pages: "1-9".into(),
            doi: "10.5555/x".into(),
            title_lang: "en".into(),
            ..Default::default()
        };
        let v: Value = serde_json::from_str(&csl_json(&[r])).unwrap();
        let it = &v[0];
        assert_eq!(it["id"], "abc");
        assert_eq!(it["type"], "article-journal");
        assert_eq!(it["author"][0]["family"], "Søndergaard");
        assert_eq!(it["author"][0]["given"], "K. L.");
        assert_eq!(it["author"][1]["literal"], "Madonna");
        assert_eq!(it["issued"]["date-parts"][0][0], 2019);
        assert_eq!(it["container-title"], "J Test");
        assert_eq!(it["page"], "1-9");
        assert_eq!(it["DOI"], "10.5555/x");
        assert!(it.get("issue").is_none());
    }
}
