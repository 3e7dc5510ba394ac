//! What is left of a case once its retention period has passed: the number, the type, the status,
//! and the day it began. No person, place, agency, photo or story.

use super::{Case, Contact, MissingSince, PhotoSource, Place, Travel};

impl Case {
    /// This case with everything personal removed. The result is still a whole `Case`, so a
    /// takedown still owed to a partner (which carries only the number, type and status) goes out.
    pub fn erased(&self) -> Case {
        Case {
            case_number: self.case_number.clone(),
            case_type: self.case_type,
            amber_alert: self.amber_alert,
            status: self.status,
            // the day alone: the hour and the offset say where and when the child was
            missing_since: MissingSince::Day(self.missing_since.local_date()),
            missing_from: Place {
                label: None,
                city: None,
                region: None,
                country: None,
                lat: 0.0,
                lon: 0.0,
            },
            circumstances: None,
            children: Vec::new(),
            companions: Vec::new(),
            destinations: Vec::new(),
            travel: Travel::Unknown,
            // the agency's name often names the town
            contact: Contact {
                agency: String::new(),
                phone: String::new(),
                region: None,
                email: None,
            },
            languages: self.languages.clone(),
        }
    }

    /// The stored photos (by id) this case shows; photos beside a file document are not stored.
    pub fn photo_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .photos()
            .filter_map(|(_, p)| match &p.source {
                PhotoSource::Id(id) => Some(id.clone()),
                PhotoSource::File(_) => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use crate::cases::parse_case;

    fn sample() -> crate::cases::Case {
        let text = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/case-example-ids.json"
        ))
        .expect("the example case");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
        parse_case(&text, today).expect("the example case parses")
    }

    #[test]
    fn nothing_personal_is_left() {
        let case = sample();
        let kept = serde_json::to_string(&case.erased()).unwrap();
        let mut personal: Vec<String> = Vec::new();
        for c in &case.children {
            personal.push(c.name.clone());
            personal.extend(c.aliases.iter().cloned());
            personal.extend(c.clothing.iter().cloned());
            personal.extend(c.marks.iter().cloned());
        }
        for c in &case.companions {
            personal.push(c.name.clone());
        }
        personal.extend(case.circumstances.iter().cloned());
        personal.extend(case.missing_from.label.iter().cloned());
        personal.extend(case.missing_from.city.iter().cloned());
        personal.push(case.contact.agency.clone());
        assert!(personal.len() > 3, "the example case has personal details");
        for p in personal {
            assert!(!kept.contains(&p), "{p:?} survived the erasure");
        }
        assert!(!kept.contains("photo"), "{kept}");
        assert!(kept.contains(&case.case_number));
    }

    #[test]
    fn an_erased_case_reads_back() {
        let erased = sample().erased();
        let json = serde_json::to_string(&erased).unwrap();
        let back: crate::cases::Case = serde_json::from_str(&json).unwrap();
        assert_eq!(back, erased);
        assert!(back.photo_ids().is_empty());
    }
}
