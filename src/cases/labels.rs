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
            (Lang::ZhHans, CaseType::EndangeredMissing) => "失踪，处境危险",
            (Lang::ZhHans, CaseType::EndangeredRunaway) => "离家出走，处境危险",
            (Lang::ZhHans, CaseType::FamilyAbduction) => "遭亲属绑架",
            (Lang::ZhHans, CaseType::NonfamilyAbduction) => "遭非亲属绑架",
            (Lang::ZhHans, CaseType::CriticallyMissingYoungAdult) => "青年失踪，情况危急",
            (Lang::ZhHans, CaseType::LostInjuredMissing) => "走失、受伤或因其他原因失踪",
            (Lang::ZhHant, CaseType::EndangeredMissing) => "失蹤，處境危險",
            (Lang::ZhHant, CaseType::EndangeredRunaway) => "離家出走，處境危險",
            (Lang::ZhHant, CaseType::FamilyAbduction) => "遭親屬綁架",
            (Lang::ZhHant, CaseType::NonfamilyAbduction) => "遭非親屬綁架",
            (Lang::ZhHant, CaseType::CriticallyMissingYoungAdult) => "青年失蹤，情況危急",
            (Lang::ZhHant, CaseType::LostInjuredMissing) => "走失、受傷或因其他原因失蹤",
            (Lang::Ko, CaseType::EndangeredMissing) => "실종, 신변 위험 우려",
            (Lang::Ko, CaseType::EndangeredRunaway) => "가출, 신변 위험 우려",
            (Lang::Ko, CaseType::FamilyAbduction) => "가족에 의한 납치",
            (Lang::Ko, CaseType::NonfamilyAbduction) => "타인에 의한 납치",
            (Lang::Ko, CaseType::CriticallyMissingYoungAdult) => "청년 실종, 위급 상황",
            (Lang::Ko, CaseType::LostInjuredMissing) => "미아, 부상 또는 기타 사유로 실종",
            (Lang::Ar, CaseType::EndangeredMissing) => "مفقود معرّض للخطر",
            (Lang::Ar, CaseType::EndangeredRunaway) => "هارب من المنزل معرّض للخطر",
            (Lang::Ar, CaseType::FamilyAbduction) => "اختطاف من قِبل أحد أفراد الأسرة",
            (Lang::Ar, CaseType::NonfamilyAbduction) => "اختطاف من قِبل شخص من خارج الأسرة",
            (Lang::Ar, CaseType::CriticallyMissingYoungAdult) => "شاب مفقود في حالة حرجة",
            (Lang::Ar, CaseType::LostInjuredMissing) => "تائه أو مصاب أو مفقود لسبب آخر",
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
