//! The tagged PDF's logical structure (ISO 32000-1, 14.7–14.8; what PDF/UA and Section 508 ask of an
//! exported PDF): each text run and photo is a marked-content sequence numbered by its MCID; the
//! structure tree groups them, in reading order, into a Document of sections (the header, each
//! child, the circumstances, each companion, the contact, the footer) of headings, paragraphs and
//! figures with their alternative text. Everything else on the page is an artifact.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Object, ObjectId, StringFormat};

use super::layout::{Role, Tag};

/// What one marked-content sequence is.
#[derive(Debug, Clone, PartialEq)]
pub enum Marked {
    Text(Tag),
    Figure { section: u16, alt: String },
}

impl Marked {
    fn section(&self) -> u16 {
        match self {
            Marked::Text(t) => t.section,
            Marked::Figure { section, .. } => *section,
        }
    }

    /// The standard structure type (14.8.4), which also tags its marked content.
    pub fn structure_type(&self) -> &'static str {
        match self {
            Marked::Text(Tag {
                role: Role::Title, ..
            }) => "H1",
            Marked::Text(Tag {
                role: Role::Heading,
                ..
            }) => "H2",
            Marked::Text(Tag {
                role: Role::Label(_),
                ..
            }) => "TH",
            Marked::Text(Tag {
                role: Role::Value(_),
                ..
            }) => "TD",
            Marked::Text(_) => "P",
            Marked::Figure { .. } => "Figure",
        }
    }
}

/// One structure element to be: its type, its alternative text, its marked content on one page;
/// a table has its rows instead.
struct Leaf<'m> {
    kind: &'static str,
    alt: Option<&'m str>,
    page: usize,
    mcids: Vec<usize>,
    rows: Vec<Row>,
}

/// A row of a table of facts: its label's marked content and its value's.
#[derive(Debug, Default, PartialEq)]
struct Row {
    n: u16,
    label: Vec<usize>,
    value: Vec<usize>,
}

/// Sections in reading order, each with its elements: consecutive runs of one type in one section
/// on one page (the lines of a paragraph) are one element, the rows of facts one table; each photo
/// is its own figure. `pages` holds each page's marks in MCID order; a section may go on on the
/// next page.
fn group(pages: &[Vec<Marked>]) -> BTreeMap<u16, Vec<Leaf<'_>>> {
    let mut sections: BTreeMap<u16, Vec<Leaf<'_>>> = BTreeMap::new();
    for (page, marks) in pages.iter().enumerate() {
        for (mcid, m) in marks.iter().enumerate() {
            let leaves = sections.entry(m.section()).or_default();
            let kind = m.structure_type();
            if let Marked::Text(Tag {
                role: role @ (Role::Label(n) | Role::Value(n)),
                ..
            }) = m
            {
                table_cell(leaves, page, *n, matches!(role, Role::Value(_)), mcid);
                continue;
            }
            match (leaves.last_mut(), m) {
                (Some(last), Marked::Text(_)) if last.kind == kind && last.page == page => {
                    last.mcids.push(mcid)
                }
                _ => leaves.push(Leaf {
                    kind,
                    alt: match m {
                        Marked::Figure { alt, .. } => Some(alt),
                        Marked::Text(_) => None,
                    },
                    page,
                    mcids: vec![mcid],
                    rows: Vec::new(),
                }),
            }
        }
    }
    sections
}

/// Put a fact's label or value into row `n` of the section's table on `page`, which it starts.
fn table_cell(leaves: &mut Vec<Leaf<'_>>, page: usize, n: u16, value: bool, mcid: usize) {
    if !leaves
        .last()
        .is_some_and(|l| l.kind == "Table" && l.page == page)
    {
        leaves.push(Leaf {
            kind: "Table",
            alt: None,
            page,
            mcids: Vec::new(),
            rows: Vec::new(),
        });
    }
    let Some(table) = leaves.last_mut() else {
        return;
    };
    if table.rows.last().is_none_or(|r| r.n != n) {
        table.rows.push(Row {
            n,
            ..Row::default()
        });
    }
    if let Some(row) = table.rows.last_mut() {
        if value {
            row.value.push(mcid)
        } else {
            row.label.push(mcid)
        }
    }
}

/// A PDF text string that holds any text: UTF-16BE with its byte order mark.
fn text_string(s: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn element(kind: &str, parent: ObjectId) -> Dictionary {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"StructElem".to_vec()));
    d.set("S", Object::Name(kind.as_bytes().to_vec()));
    d.set("P", Object::Reference(parent));
    d
}

/// The MCIDs of one element's marked content, each recorded as that element's in `parents`.
fn marked_content(mcids: &[usize], id: ObjectId, parents: &mut [Object]) -> Object {
    for &n in mcids {
        parents[n] = Object::Reference(id);
    }
    Object::Array(mcids.iter().map(|&n| Object::Integer(n as i64)).collect())
}

/// A table of facts: a row per fact, its label a row header (`TH`, scope Row) and its value a
/// cell (`TD`). Returns the table's element.
fn table(
    doc: &mut lopdf::Document,
    rows: &[Row],
    parent: ObjectId,
    page: &Object,
    parents: &mut [Object],
) -> ObjectId {
    let id = doc.new_object_id();
    let mut trs = Vec::with_capacity(rows.len());
    for row in rows {
        let tr = doc.new_object_id();
        let mut cells = Vec::with_capacity(2);
        for (kind, mcids) in [("TH", &row.label), ("TD", &row.value)] {
            if mcids.is_empty() {
                continue;
            }
            let cell = doc.new_object_id();
            let mut d = element(kind, tr);
            d.set("Pg", page.clone());
            d.set("K", marked_content(mcids, cell, parents));
            if kind == "TH" {
                let mut a = Dictionary::new();
                a.set("O", Object::Name(b"Table".to_vec()));
                a.set("Scope", Object::Name(b"Row".to_vec()));
                d.set("A", Object::Dictionary(a));
            }
            doc.objects.insert(cell, Object::Dictionary(d));
            cells.push(Object::Reference(cell));
        }
        let mut d = element("TR", id);
        d.set("K", Object::Array(cells));
        doc.objects.insert(tr, Object::Dictionary(d));
        trs.push(Object::Reference(tr));
    }
    let mut d = element("Table", parent);
    d.set("K", Object::Array(trs));
    doc.objects.insert(id, Object::Dictionary(d));
    id
}

/// Adds the structure tree for each page's marks (`pages[k]` those of page k + 1, in MCID order),
/// marks the document as tagged, and gives it its language and its title to show.
pub fn structure(
    doc: &mut lopdf::Document,
    pages: &[Vec<Marked>],
    lang: &str,
    title: &str,
) -> Result<(), String> {
    let page_ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if page_ids.len() != pages.len() {
        return Err(format!(
            "{} pages drawn, {} in the document",
            pages.len(),
            page_ids.len()
        ));
    }
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| e.to_string())?;
    let tree = doc.new_object_id();
    let document = doc.new_object_id();
    let mut parents: Vec<Vec<Object>> = pages
        .iter()
        .map(|marks| vec![Object::Null; marks.len()])
        .collect();
    let mut section_refs = Vec::new();
    for leaves in group(pages).into_values() {
        let sect = doc.new_object_id();
        let mut kids = Vec::new();
        for leaf in leaves {
            let page = Object::Reference(page_ids[leaf.page]);
            let page_parents = &mut parents[leaf.page];
            let id = if leaf.kind == "Table" {
                table(doc, &leaf.rows, sect, &page, page_parents)
            } else {
                let id = doc.new_object_id();
                let mut d = element(leaf.kind, sect);
                d.set("Pg", page);
                d.set("K", marked_content(&leaf.mcids, id, page_parents));
                if let Some(alt) = leaf.alt {
                    d.set("Alt", text_string(alt));
                }
                doc.objects.insert(id, Object::Dictionary(d));
                id
            };
            kids.push(Object::Reference(id));
        }
        let mut d = element("Sect", document);
        d.set("K", Object::Array(kids));
        doc.objects.insert(sect, Object::Dictionary(d));
        section_refs.push(Object::Reference(sect));
    }
    let mut d = element("Document", tree);
    d.set("K", Object::Array(section_refs));
    doc.objects.insert(document, Object::Dictionary(d));

    let mut parent_tree = Dictionary::new();
    let nums = parents
        .into_iter()
        .enumerate()
        .flat_map(|(k, list)| [Object::Integer(k as i64), Object::Array(list)])
        .collect();
    parent_tree.set("Nums", Object::Array(nums));
    let mut t = Dictionary::new();
    t.set("Type", Object::Name(b"StructTreeRoot".to_vec()));
    t.set("K", Object::Reference(document));
    t.set("ParentTree", Object::Dictionary(parent_tree));
    t.set("ParentTreeNextKey", Object::Integer(pages.len() as i64));
    doc.objects.insert(tree, Object::Dictionary(t));

    for (k, page) in page_ids.into_iter().enumerate() {
        let page_dict = doc
            .get_object_mut(page)
            .and_then(Object::as_dict_mut)
            .map_err(|e| e.to_string())?;
        page_dict.set("StructParents", Object::Integer(k as i64));
        page_dict.set("Tabs", Object::Name(b"S".to_vec()));
    }

    let catalog = doc
        .get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?;
    let mut mark_info = Dictionary::new();
    mark_info.set("Marked", Object::Boolean(true));
    catalog.set("MarkInfo", Object::Dictionary(mark_info));
    catalog.set("StructTreeRoot", Object::Reference(tree));
    catalog.set("Lang", Object::string_literal(lang));
    let mut prefs = Dictionary::new();
    prefs.set("DisplayDocTitle", Object::Boolean(true));
    catalog.set("ViewerPreferences", Object::Dictionary(prefs));
    let metadata = doc.add_object(metadata(title, lang));
    doc.get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?
        .set("Metadata", Object::Reference(metadata));
    Ok(())
}

/// The XMP metadata stream: the title and language where PDF/UA readers look for them (`dc:title`,
/// `dc:language`). Left uncompressed, as metadata should be, so any tool can read it.
fn metadata(title: &str, lang: &str) -> lopdf::Stream {
    let xml = format!(
        r#"<?xpacket begin="{bom}" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#,
        bom = '\u{feff}',
        title = xml_escape(title),
        lang = xml_escape(lang),
    );
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"Metadata".to_vec()));
    dict.set("Subtype", Object::Name(b"XML".to_vec()));
    lopdf::Stream::new(dict, xml.into_bytes()).with_compression(false)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(section: u16, role: Role) -> Marked {
        Marked::Text(Tag::new(section, role))
    }

    #[test]
    fn runs_group_into_elements_and_sections_read_in_order() {
        let marks = [
            text(50, Role::Text), // the footer, drawn before the contact block
            text(0, Role::Title),
            text(0, Role::Text),
            text(0, Role::Text),
            Marked::Figure {
                section: 10,
                alt: "Photo of A".into(),
            },
            text(10, Role::Heading),
            text(10, Role::Text),
            text(10, Role::Text),
            Marked::Figure {
                section: 10,
                alt: "Photo of A, older".into(),
            },
            text(40, Role::Text),
        ];
        let pages = [marks.to_vec()];
        let sections = group(&pages);
        let order: Vec<u16> = sections.keys().copied().collect();
        assert_eq!(order, [0, 10, 40, 50]);
        let shape = |s: u16| -> Vec<(&str, Vec<usize>)> {
            sections[&s]
                .iter()
                .map(|l| (l.kind, l.mcids.clone()))
                .collect()
        };
        assert_eq!(shape(0), [("H1", vec![1]), ("P", vec![2, 3])]);
        assert_eq!(
            shape(10),
            [
                ("Figure", vec![4]),
                ("H2", vec![5]),
                ("P", vec![6, 7]),
                ("Figure", vec![8])
            ]
        );
        assert_eq!(sections[&10][3].alt, Some("Photo of A, older"));
        assert_eq!(shape(50), [("P", vec![0])]);
    }

    #[test]
    fn a_section_going_on_over_a_page_is_one_section_with_an_element_per_page() {
        let pages = [
            vec![
                text(0, Role::Title),
                text(20, Role::Text),
                text(20, Role::Text),
            ],
            vec![text(20, Role::Text), text(30, Role::Heading)],
        ];
        let sections = group(&pages);
        let leaves: Vec<(usize, Vec<usize>)> = sections[&20]
            .iter()
            .map(|l| (l.page, l.mcids.clone()))
            .collect();
        assert_eq!(leaves, [(0, vec![1, 2]), (1, vec![0])]);
        assert_eq!(sections[&30][0].page, 1);
    }

    #[test]
    fn facts_are_a_table_of_rows_each_headed_by_its_label() {
        let pages = [vec![
            text(10, Role::Heading),
            text(10, Role::Label(0)),
            text(10, Role::Value(0)),
            text(10, Role::Value(0)), // a value wrapped over two lines
            text(10, Role::Label(1)),
            text(10, Role::Label(1)), // a label wrapped over two lines
            text(10, Role::Value(1)),
            text(10, Role::Text),
        ]];
        let sections = group(&pages);
        let kinds: Vec<&str> = sections[&10].iter().map(|l| l.kind).collect();
        assert_eq!(kinds, ["H2", "Table", "P"]);
        assert_eq!(
            sections[&10][1].rows,
            [
                Row {
                    n: 0,
                    label: vec![1],
                    value: vec![2, 3]
                },
                Row {
                    n: 1,
                    label: vec![4, 5],
                    value: vec![6]
                }
            ]
        );
    }

    #[test]
    fn text_strings_are_utf16_with_a_byte_order_mark() {
        let Object::String(bytes, _) = text_string("Tomás") else {
            panic!()
        };
        assert_eq!(&bytes[..2], [0xFE, 0xFF]);
        assert_eq!(bytes.len(), 2 + 2 * 5);
    }
}
