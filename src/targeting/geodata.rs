//! The US places shipped with lookout (GeoNames, CC BY 4.0), for the demo network and maps.

use serde::Deserialize;

/// US places with 1,000 or more people, largest first: `name,state,lat,lon,population`.
pub const US_CITIES_CSV: &str = include_str!("data/us-cities.csv");

/// Credit to show wherever the place data is shown.
pub const CREDIT: &str =
    "Places © GeoNames (CC BY 4.0); state outlines: US Census Bureau via us-atlas (ISC)";

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct City {
    pub name: String,
    pub state: String,
    pub lat: f64,
    pub lon: f64,
    pub population: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("cities, line {line}: {reason}")]
pub struct CityError {
    pub line: u64,
    pub reason: String,
}

/// Parse a cities CSV of the shipped form.
pub fn parse_cities(text: &str) -> Result<Vec<City>, CityError> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.deserialize()
        .map(|r: Result<City, csv::Error>| {
            r.map_err(|e| CityError {
                line: e.position().map_or(0, |p| p.line()),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// The shipped US places.
pub fn us_cities() -> Result<Vec<City>, CityError> {
    parse_cities(US_CITIES_CSV)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_cities_parse_largest_first() {
        let cities = super::us_cities().unwrap();
        assert!(cities.len() > 16_000);
        assert_eq!(cities[0].name, "New York City");
        assert!(
            cities
                .windows(2)
                .all(|w| w[0].population >= w[1].population)
        );
    }
}
