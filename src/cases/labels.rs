//! A case type as people read it, in each language a poster is made in: the bulletin's cover and the
//! public page say it the same way.

use super::{CaseType, Lang};

impl CaseType {
    pub fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, CaseType::EndangeredMissing) => "Endangered missing",
            (Lang::En, CaseType::EndangeredRunaway) => "Endangered runaway",
            (Lang::En, CaseType::FamilyAbduction) => "Family abduction",
            (Lang::En, CaseType::NonfamilyAbduction) => "Nonfamily abduction",
            (Lang::En, CaseType::CriticallyMissingYoungAdult) => "Critically missing young adult",
            (Lang::En, CaseType::LostInjuredMissing) => "Lost, injured or otherwise missing",
            (Lang::Es, CaseType::EndangeredMissing) => "Desaparición en peligro",
            (Lang::Es, CaseType::EndangeredRunaway) => "Fuga en peligro",
            (Lang::Es, CaseType::FamilyAbduction) => "Sustracción familiar",
            (Lang::Es, CaseType::NonfamilyAbduction) => "Sustracción no familiar",
            (Lang::Es, CaseType::CriticallyMissingYoungAdult) => {
                "Joven adulto desaparecido en estado crítico"
            }
            (Lang::Es, CaseType::LostInjuredMissing) => "Perdido, herido o desaparecido",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_label_in_every_language() {
        for lang in Lang::ALL {
            let labels: Vec<&str> = CaseType::ALL.iter().map(|t| t.label(lang)).collect();
            let mut unique = labels.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), labels.len(), "{lang:?}: {labels:?}");
        }
    }
}
