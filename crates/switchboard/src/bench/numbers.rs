//! The benchmark's phone numbers. Contact `i`'s phone `j` is a pure function of
//! `(i, j)`, so the lookup phase regenerates the numbers it looks up instead of keeping
//! millions of strings in memory. Every parseable number is distinct (a bijection of
//! `3i + j`), and unknown numbers are drawn from ranges no stored number uses, so a
//! lookup's right answer is known exactly.

/// The most contacts the generator keeps distinct numbers for.
pub const MAX_CONTACTS: u64 = 10_000_000;

const SEED: u64 = 0x5b0a_4d11_c0ff_ee00;
/// Multiplier of the digit bijections: odd and not a multiple of 5, so coprime with
/// every power of ten.
const MUL: u64 = 2_654_435_761;

/// SplitMix64's finaliser: a fast, well-mixed hash of a counter.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How many phones contact `i` has: 1 to 3.
pub fn phone_count(i: u64) -> u64 {
    1 + mix(i ^ SEED) % 3
}

/// Contact `i`'s phone `j` as a user typed it, and its Spanish national number (nine
/// digits) when it is a real number.
pub struct StoredPhone {
    pub raw: String,
    pub national: Option<String>,
    pub enum_code: &'static str,
}

const JUNK: [&str; 4] = ["ext. 12", "ext. 345", "n/a", "ask at reception"];
const ENUMS: [&str; 3] = ["WORK", "MOB", "HOME"];

pub fn stored(i: u64, j: u64) -> StoredPhone {
    let k = i * 3 + j;
    let h = mix(k.wrapping_add(SEED.rotate_left(17)));
    let enum_code = ENUMS[(h >> 40) as usize % ENUMS.len()];
    // About 3% of values are not phone numbers at all.
    if h % 100 < 3 {
        return StoredPhone {
            raw: JUNK[(h >> 8) as usize % JUNK.len()].to_string(),
            national: None,
            enum_code,
        };
    }
    let format = (h >> 16) % 4;
    if !(h >> 24).is_multiple_of(3) {
        // Mobile: 6 and eight digits.
        let d = format!(
            "{:08}",
            k.wrapping_mul(MUL).wrapping_add(12_345) % 100_000_000
        );
        let n = format!("6{d}");
        let raw = match format {
            0 => format!("+34 {} {} {}", &n[0..3], &n[3..6], &n[6..9]),
            1 => format!("0034 {n}"),
            2 => format!("{}-{}-{}", &n[0..3], &n[3..6], &n[6..9]),
            _ => format!("34 {n}"),
        };
        StoredPhone {
            raw,
            national: Some(n),
            enum_code,
        }
    } else {
        // Landline in Madrid, Barcelona or Seville: 9[135] and seven digits.
        let area = ["91", "93", "95"][(k % 3) as usize];
        let d = format!(
            "{:07}",
            (k / 3).wrapping_mul(MUL).wrapping_add(54_321) % 10_000_000
        );
        let n = format!("{area}{d}");
        let raw = match format {
            0 => format!("({area}) {} {} {}", &d[0..3], &d[3..5], &d[5..7]),
            1 => format!("34 {n}"),
            2 => format!("+34 {area} {} {} {}", &d[0..3], &d[3..5], &d[5..7]),
            _ => format!("0034 {n}"),
        };
        StoredPhone {
            raw,
            national: Some(n),
            enum_code,
        }
    }
}

/// A Spanish national number written the way a PBX, a user or a form might, choosing
/// among spellings with `pick`; never equal to `avoid` (how it was stored).
pub fn respell(national: &str, pick: u64, avoid: &str) -> String {
    let n = national;
    let spell = |f: u64| -> String {
        match f % 6 {
            0 => format!("+34{n}"),
            1 => format!("0034 {} {} {}", &n[0..3], &n[3..6], &n[6..9]),
            2 => n.to_string(),
            3 => format!("34{n}"),
            4 => format!("+34 ({}) {}-{}", &n[0..3], &n[3..6], &n[6..9]),
            _ => format!("{} {} {} {}", &n[0..3], &n[3..5], &n[5..7], &n[7..9]),
        }
    };
    let mut f = pick;
    let mut s = spell(f);
    for _ in 0..6 {
        if s != avoid {
            break;
        }
        f += 1;
        s = spell(f);
    }
    s
}

/// A number no contact has. Stored numbers all end in `4` + `6xxxxxxxx` or
/// `4` + `9[135]xxxxxxx` (their last ten digits); these end otherwise, so not even the
/// suffix match can find them.
pub fn unknown(r: u64) -> String {
    let d = r >> 8;
    match r % 4 {
        // Spanish mobile range 71x, never generated.
        0 => format!(
            "+34 71{} {:03} {:03}",
            d % 10,
            (d / 10) % 1000,
            (d / 10_000) % 1000
        ),
        // Spanish landline 972 (Girona).
        1 => format!("972 {:03} {:03}", d % 1000, (d / 1000) % 1000),
        // London.
        2 => format!("0044 20 7946 {:04}", d % 10_000),
        // Berlin.
        _ => format!("+49 30 {:08}", d % 100_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_domain::Phone;

    #[test]
    fn stored_numbers_parse_and_respellings_match() {
        for i in 0..2000 {
            for j in 0..phone_count(i) {
                let s = stored(i, j);
                let p = Phone::parse(&s.raw, "ES");
                match &s.national {
                    Some(n) => {
                        assert_eq!(
                            p.e164.as_deref(),
                            Some(format!("+34{n}").as_str()),
                            "{}",
                            s.raw
                        );
                        for pick in 0..6 {
                            let q = respell(n, pick, &s.raw);
                            assert_ne!(q, s.raw);
                            assert_eq!(Phone::parse(&q, "ES").e164, p.e164, "{q}");
                        }
                    }
                    None => assert!(p.e164.is_none(), "{}", s.raw),
                }
            }
        }
    }

    #[test]
    fn unknown_numbers_never_share_a_stored_suffix() {
        for r in 0..4000 {
            let q = Phone::parse(&unknown(mix(r)), "ES");
            let tail: String = q
                .digits
                .chars()
                .rev()
                .take(10)
                .collect::<String>()
                .chars()
                .rev()
                .collect();
            assert!(
                !(tail.starts_with("46")
                    || tail.starts_with("491")
                    || tail.starts_with("493")
                    || tail.starts_with("495")),
                "{tail}"
            );
        }
    }
}
