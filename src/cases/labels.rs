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
            (Lang::Fr, CaseType::EndangeredMissing) => "Disparition inquiétante",
            (Lang::Fr, CaseType::EndangeredRunaway) => "Fugue inquiétante",
            (Lang::Fr, CaseType::FamilyAbduction) => "Enlèvement familial",
            (Lang::Fr, CaseType::NonfamilyAbduction) => "Enlèvement non familial",
            (Lang::Fr, CaseType::CriticallyMissingYoungAdult) => {
                "Disparition critique d'un jeune adulte"
            }
            (Lang::Fr, CaseType::LostInjuredMissing) => {
                "Perdu, blessé ou disparu pour une autre raison"
            }
            (Lang::Vi, CaseType::EndangeredMissing) => "Mất tích, có thể gặp nguy hiểm",
            (Lang::Vi, CaseType::EndangeredRunaway) => "Bỏ nhà đi, có thể gặp nguy hiểm",
            (Lang::Vi, CaseType::FamilyAbduction) => "Bị người thân bắt cóc",
            (Lang::Vi, CaseType::NonfamilyAbduction) => "Bị người ngoài bắt cóc",
            (Lang::Vi, CaseType::CriticallyMissingYoungAdult) => {
                "Người trẻ mất tích trong hoàn cảnh nguy cấp"
            }
            (Lang::Vi, CaseType::LostInjuredMissing) => {
                "Bị lạc, bị thương hoặc mất tích vì lý do khác"
            }
            (Lang::Tl, CaseType::EndangeredMissing) => "Nawawala at nasa panganib",
            (Lang::Tl, CaseType::EndangeredRunaway) => "Naglayas at nasa panganib",
            (Lang::Tl, CaseType::FamilyAbduction) => "Dinukot ng kapamilya",
            (Lang::Tl, CaseType::NonfamilyAbduction) => "Dinukot ng hindi kapamilya",
            (Lang::Tl, CaseType::CriticallyMissingYoungAdult) => {
                "Nawawalang kabataan na nasa kritikal na kalagayan"
            }
            (Lang::Tl, CaseType::LostInjuredMissing) => {
                "Naligaw, nasugatan o nawawala sa ibang paraan"
            }
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
