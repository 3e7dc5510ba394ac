//! Several finished PDFs as one: a location's print pack (every poster that should be on its wall,
//! one per page) and a digest's bulletin (a cover, then each poster). The posters go in as the
//! files partners already receive, so a page of a pack is byte for byte the poster itself: nothing
//! is laid out or rendered again.
//!
//! Pure: bytes in, bytes out.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object, ObjectId};

/// A PDF that cannot be taken into a pack.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("file {index} of the pack is not a readable PDF: {source}")]
    Unreadable {
        index: usize,
        #[source]
        source: lopdf::Error,
    },
    #[error("a pack needs at least one page")]
    Empty,
    #[error("the pack could not be written: {0}")]
    Write(#[source] std::io::Error),
}

/// Attributes a page may inherit from its page tree: copied onto the page, since the tree it came
/// from is left behind.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// Every page of every PDF of `files`, in order, as one PDF titled `title`.
pub fn merge(files: &[&[u8]], title: &str) -> Result<Vec<u8>, PackError> {
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let mut pages: Vec<ObjectId> = Vec::new();
    let mut next_id = 1;
    for (index, bytes) in files.iter().enumerate() {
        let mut doc =
            Document::load_mem(bytes).map_err(|source| PackError::Unreadable { index, source })?;
        doc.renumber_objects_with(next_id);
        next_id = doc.max_id + 1;
        for id in doc.get_pages().into_values() {
            let inherited = inherited_attributes(&doc, id);
            if let Some(Object::Dictionary(page)) = doc.objects.get_mut(&id) {
                for (key, value) in inherited {
                    page.set(key, value);
                }
            }
            pages.push(id);
        }
        let trees: Vec<ObjectId> = doc
            .objects
            .iter()
            .filter(|(_, o)| matches!(o.type_name(), Ok(b"Catalog" | b"Pages")))
            .map(|(id, _)| *id)
            .collect();
        for id in trees {
            doc.objects.remove(&id);
        }
        objects.append(&mut doc.objects);
    }
    if pages.is_empty() {
        return Err(PackError::Empty);
    }
    let tree_id = (next_id, 0);
    let catalog_id = (next_id + 1, 0);
    let info_id = (next_id + 2, 0);
    for id in &pages {
        if let Some(Object::Dictionary(page)) = objects.get_mut(id) {
            page.set("Parent", tree_id);
        }
    }
    let mut out = Document::with_version("1.7");
    out.objects = objects;
    let kids: Vec<Object> = pages.iter().map(|id| Object::Reference(*id)).collect();
    out.objects.insert(
        tree_id,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Count", Object::Integer(pages.len() as i64)),
            ("Kids", Object::Array(kids)),
        ])),
    );
    out.objects.insert(
        catalog_id,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference(tree_id)),
        ])),
    );
    out.objects.insert(
        info_id,
        Object::Dictionary(Dictionary::from_iter([
            ("Title", Object::string_literal(title)),
            ("Producer", Object::string_literal("lookout")),
        ])),
    );
    out.max_id = next_id + 2;
    out.trailer.set("Root", catalog_id);
    out.trailer.set("Info", info_id);
    // the source files' own document info and metadata are no longer reachable
    out.prune_objects();
    let mut bytes = Vec::new();
    out.save_to(&mut bytes).map_err(PackError::Write)?;
    Ok(bytes)
}

/// What page `id` inherits from the page tree above it and does not set itself.
fn inherited_attributes(doc: &Document, id: ObjectId) -> Vec<(Vec<u8>, Object)> {
    let Ok(page) = doc.get_dictionary(id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in INHERITED {
        if page.has(key) {
            continue;
        }
        let mut parent = page.get(b"Parent").and_then(Object::as_reference).ok();
        // a page tree is shallow; the bound only guards against a cycle in a damaged file
        for _ in 0..32 {
            let Some(node) = parent.and_then(|p| doc.get_dictionary(p).ok()) else {
                break;
            };
            if let Ok(value) = node.get(key) {
                out.push((key.to_vec(), value.clone()));
                break;
            }
            parent = node.get(b"Parent").and_then(Object::as_reference).ok();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF with `text` on it, written with lopdf alone, its media box set on the page
    /// tree (inherited) as some producers do.
    fn one_page(text: &str) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let tree_id = doc.new_object_id();
        let font_id = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"Type1".to_vec())),
            ("BaseFont", Object::Name(b"Helvetica".to_vec())),
        ]));
        let content = format!("BT /F1 24 Tf 72 700 Td ({text}) Tj ET");
        let content_id =
            doc.add_object(lopdf::Stream::new(Dictionary::new(), content.into_bytes()));
        let fonts = Dictionary::from_iter([("F1", Object::Reference(font_id))]);
        let resources = Dictionary::from_iter([("Font", Object::Dictionary(fonts))]);
        let page_id = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Page".to_vec())),
            ("Parent", Object::Reference(tree_id)),
            ("Contents", Object::Reference(content_id)),
            ("Resources", Object::Dictionary(resources)),
        ]));
        doc.objects.insert(
            tree_id,
            Object::Dictionary(Dictionary::from_iter([
                ("Type", Object::Name(b"Pages".to_vec())),
                ("Kids", Object::Array(vec![Object::Reference(page_id)])),
                ("Count", Object::Integer(1)),
                (
                    "MediaBox",
                    Object::Array([0, 0, 612, 792].map(Object::Integer).to_vec()),
                ),
            ])),
        );
        let catalog = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference(tree_id)),
        ]));
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn page_texts(pdf: &[u8]) -> Vec<String> {
        let doc = Document::load_mem(pdf).unwrap();
        doc.get_pages()
            .into_values()
            .map(|id| {
                let content = String::from_utf8(doc.get_page_content(id)).unwrap();
                let start = content.find('(').unwrap() + 1;
                let end = content.find(')').unwrap();
                content[start..end].to_string()
            })
            .collect()
    }

    #[test]
    fn every_page_of_every_file_in_order_each_with_its_size() {
        let files: Vec<Vec<u8>> = ["FIRST", "SECOND", "THIRD"]
            .iter()
            .map(|t| one_page(t))
            .collect();
        let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        let pack = merge(&refs, "pack").unwrap();
        assert_eq!(page_texts(&pack), ["FIRST", "SECOND", "THIRD"]);
        let doc = Document::load_mem(&pack).unwrap();
        for id in doc.get_pages().into_values() {
            let page = doc.get_dictionary(id).unwrap();
            assert!(
                page.has(b"MediaBox"),
                "the inherited media box was carried over"
            );
        }
    }

    #[test]
    fn nothing_or_a_broken_file_is_an_error_not_a_pack() {
        assert!(matches!(merge(&[], "pack"), Err(PackError::Empty)));
        let good = one_page("GOOD");
        let err = merge(&[&good, b"not a pdf"], "pack").unwrap_err();
        assert!(
            matches!(err, PackError::Unreadable { index: 1, .. }),
            "{err}"
        );
    }
}
