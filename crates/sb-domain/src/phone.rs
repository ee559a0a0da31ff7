//! Phone identity: the caller-ID key. Every stored phone keeps what the user typed
//! (`raw`) beside its E.164 form, so nothing is lost when a number cannot be parsed,
//! and a digit suffix key so numbers that arrive without a country code still match.

use phonenumber::{country, Mode};
use serde::{Deserialize, Serialize};

/// How many trailing digits decide a match when the E.164 forms differ or are unknown
/// (Kommo's call logging uses the last 10).
pub const SUFFIX_DIGITS: usize = 10;
/// Below this many digits a query is not treated as a phone number.
pub const MIN_PHONE_DIGITS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    pub raw: String,
    /// `+34911234567`, or `None` when the number is not a valid phone number.
    pub e164: Option<String>,
    /// The digits the key is built from: those of `e164` when known, else of `raw`.
    pub digits: String,
}

impl Phone {
    /// Parses `raw` with the account's default country (ISO 3166 alpha-2, e.g. "ES").
    /// Never fails: an unparseable value is kept raw with `e164 = None`.
    pub fn parse(raw: &str, default_country: &str) -> Phone {
        let raw_trimmed = raw.trim();
        let e164 = normalise(raw_trimmed, default_country);
        let digits = match &e164 {
            Some(e) => e.trim_start_matches('+').to_string(),
            None => only_digits(raw_trimmed),
        };
        Phone {
            raw: raw_trimmed.to_string(),
            e164,
            digits,
        }
    }

    /// The reversed digits, stored in an indexed column; a range scan on its prefix
    /// finds every number that ends with given digits without scanning the table.
    pub fn reversed_digits(&self) -> String {
        self.digits.chars().rev().collect()
    }

    /// The (inclusive lower, exclusive upper) bounds of the reversed-digit range that
    /// matches this number's last `SUFFIX_DIGITS` digits; `None` when the number is too
    /// short to be matched by suffix.
    pub fn suffix_range(&self) -> Option<(String, String)> {
        suffix_range_of(&self.digits)
    }
}

pub fn suffix_range_of(digits: &str) -> Option<(String, String)> {
    if digits.len() < MIN_PHONE_DIGITS {
        return None;
    }
    let take = digits.len().min(SUFFIX_DIGITS);
    let lower: String = digits.chars().rev().take(take).collect();
    // ':' is the byte after '9', so every string starting with `lower` sorts below this.
    let upper = format!("{lower}:");
    Some((lower, upper))
}

pub fn only_digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

fn normalise(raw: &str, default_country: &str) -> Option<String> {
    let digits = only_digits(raw);
    if digits.len() < 3 || digits.len() > 17 {
        return None;
    }
    // A number written with '+' is international: the account's country has no say, and
    // letting it in made `+84851234567` invalid in a Russian account although the same
    // number without '+' normalised to exactly that (found by fuzzing), so the key of a
    // stored E.164 number did not survive a second normalisation.
    let country: Option<country::Id> = if raw.starts_with('+') {
        None
    } else {
        default_country.to_ascii_uppercase().parse().ok()
    };
    let valid_e164 = |s: &str, c: Option<country::Id>| -> Option<String> {
        let n = phonenumber::parse(c, s).ok()?;
        if phonenumber::is_valid(&n) {
            Some(n.format().mode(Mode::E164).to_string())
        } else {
            None
        }
    };
    if let Some(found) = valid_e164(raw, country) {
        return Some(found);
    }
    // PBXs send international numbers without '+' ("34600111222"): when the national
    // reading is not a valid number, try the digits as an international one.
    if !raw.starts_with('+') {
        return valid_e164(&format!("+{digits}"), None);
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn spanish_number_in_every_format_has_one_key() {
        for input in [
            "+34 91 123 45 67",
            "0034911234567",
            "911234567",
            "+34911234567",
            "34 911 23 45 67",
            "(91) 123-45-67",
        ] {
            let p = Phone::parse(input, "ES");
            assert_eq!(p.e164.as_deref(), Some("+34911234567"), "{input}");
            assert_eq!(p.digits, "34911234567");
        }
    }

    #[test]
    fn an_e164_key_normalises_to_itself_in_any_country() {
        // Found by fuzzing (sb-fuzz corpus/phone/regressions/ru_8_stray_bytes).
        let p = Phone::parse("8 (485) 123-45-67", "RU");
        let e = p.e164.unwrap();
        assert_eq!(Phone::parse(&e, "RU").e164.as_deref(), Some(e.as_str()));
        assert_eq!(
            Phone::parse("+84851234567", "RU").e164.as_deref(),
            Some("+84851234567")
        );
    }

    #[test]
    fn unparseable_number_is_kept_raw() {
        let p = Phone::parse("ext. 12", "ES");
        assert_eq!(p.e164, None);
        assert_eq!(p.raw, "ext. 12");
        assert_eq!(p.digits, "12");
        assert!(p.suffix_range().is_none());
    }

    #[test]
    fn suffix_range_covers_numbers_ending_with_the_digits() {
        let (lo, hi) = suffix_range_of("911234567").unwrap();
        let stored = Phone::parse("+34911234567", "ES").reversed_digits();
        assert!(stored.as_str() >= lo.as_str() && stored.as_str() < hi.as_str());
        let other = Phone::parse("+34911234568", "ES").reversed_digits();
        assert!(!(other.as_str() >= lo.as_str() && other.as_str() < hi.as_str()));
    }
}
