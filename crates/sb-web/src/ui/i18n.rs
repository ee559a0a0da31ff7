//! The UI's languages (B7): every string is a Fluent message in `locales/<lang>.ftl`,
//! compiled into the binary. A page gets a [`Tr`] for the user's language; a message
//! missing there falls back to English, and a key unknown even in English shows as the
//! key itself (and the test in this module fails before that can ship).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::{Arc, OnceLock};

/// The languages the UI speaks, in the order the switch shows them.
pub const LANGS: [&str; 4] = ["en", "es", "pt", "hu"];

/// Embeds `locales/<lang>/<module>.ftl` of each named module, for every language.
macro_rules! locales {
    ($($module:literal),* $(,)?) => {
        &[
            ("en", &[$(($module, include_str!(concat!("../../locales/en/", $module, ".ftl")))),*]),
            ("es", &[$(($module, include_str!(concat!("../../locales/es/", $module, ".ftl")))),*]),
            ("pt", &[$(($module, include_str!(concat!("../../locales/pt/", $module, ".ftl")))),*]),
            ("hu", &[$(($module, include_str!(concat!("../../locales/hu/", $module, ".ftl")))),*]),
        ]
    };
}

/// Per language, its files: one per page module (a test fails when a file on disk is
/// missing here). A build script listing the folder would need no list, but its output
/// is shared by every checkout built in one target folder.
const SOURCES: &[(&str, &[(&str, &str)])] = locales![
    "main",
    "calls",
    "alerts",
    "cards",
    "companies",
    "contacts",
    "custom_fields",
    "dashboard",
    "incoming",
    "leads",
    "notes",
    "pipelines",
    "search",
    "statistics",
    "tasks",
    "telephony",
    "users",
];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static [Arc<Bundle>] {
    static B: OnceLock<Vec<Arc<Bundle>>> = OnceLock::new();
    B.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, files)| Arc::new(bundle(lang, files)))
            .collect()
    })
}

fn bundle(lang: &str, files: &[(&str, &str)]) -> Bundle {
    let id: unic_langid::LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around every placeable would end up inside input values
    // and test selectors; our placeables are short and the page direction is fixed.
    b.set_use_isolating(false);
    for (_, src) in files.iter() {
        // A syntax error keeps the good messages; the test below reports the bad ones.
        let res = FluentResource::try_new(src.to_string()).unwrap_or_else(|(res, _)| res);
        // A key defined twice keeps its first text; the test below reports it.
        let _ = b.add_resource(res);
    }
    b
}

/// The language code we support for `lang` ("pt-BR" → "pt"), if any.
pub fn supported(lang: &str) -> Option<&'static str> {
    let primary = lang.split(['-', '_']).next()?.trim().to_ascii_lowercase();
    LANGS.iter().copied().find(|l| *l == primary)
}

/// The best language for an `Accept-Language` header, by quality then order.
pub fn negotiate(accept_language: &str) -> Option<&'static str> {
    let mut best: Option<(f32, usize, &'static str)> = None;
    for (i, part) in accept_language.split(',').enumerate() {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        if let Some(l) = supported(tag) {
            if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, l));
            }
        }
    }
    best.map(|(_, _, l)| l)
}

/// The account's default language, from its country.
pub fn for_country(country: &str) -> &'static str {
    match country.to_ascii_uppercase().as_str() {
        "ES" | "MX" | "AR" | "CO" | "CL" | "PE" | "UY" | "VE" | "EC" | "BO" | "PY" | "CR"
        | "GT" | "DO" | "PA" | "SV" | "HN" | "NI" | "CU" => "es",
        "BR" | "PT" | "AO" | "MZ" => "pt",
        "HU" => "hu",
        _ => "en",
    }
}

/// Translations for one language.
#[derive(Clone)]
pub struct Tr {
    lang: &'static str,
    bundle: Arc<Bundle>,
    fallback: Arc<Bundle>,
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        let lang = supported(lang).unwrap_or("en");
        let all = bundles();
        let pos = LANGS.iter().position(|l| *l == lang).unwrap_or(0);
        Tr {
            lang,
            bundle: all[pos].clone(),
            fallback: all[0].clone(),
        }
    }

    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one argument (plurals select on numbers).
    pub fn t1(&self, key: &str, name: &str, value: impl Into<Arg>) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), value.into().0);
        self.format(key, Some(&args))
    }

    /// The message `key` with several arguments.
    pub fn tn(&self, key: &str, args: &[(&str, Arg)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(k.to_string(), v.0.clone());
        }
        self.format(key, Some(&a))
    }

    /// Whether the language has `key` (for messages built from codes, e.g. errors).
    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key) || self.fallback.has_message(key)
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        for b in [&self.bundle, &self.fallback] {
            if let Some(p) = b.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return b.format_pattern(p, args, &mut errors).into_owned();
            }
        }
        key.to_string()
    }
}

/// A message argument.
#[derive(Clone)]
pub struct Arg(FluentValue<'static>);

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg(FluentValue::from(v))
    }
}
impl From<usize> for Arg {
    fn from(v: usize) -> Self {
        Arg(FluentValue::from(v as i64))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg(FluentValue::from(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg(FluentValue::from(v))
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The keys of one language's files; a syntax error or a key defined twice fails.
    fn keys(files: &[(&str, &str)]) -> BTreeSet<String> {
        let mut all = BTreeSet::new();
        for (name, src) in files {
            let res = match FluentResource::try_new(src.to_string()) {
                Ok(r) => r,
                Err((_, errs)) => panic!("{name}: syntax errors: {errs:?}"),
            };
            for e in res.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = e {
                    let k = m.id.name.to_string();
                    assert!(all.insert(k.clone()), "{name}: {k} is defined twice");
                }
            }
        }
        all
    }

    #[test]
    fn every_language_has_every_key() {
        let en = keys(SOURCES[0].1);
        for (lang, src) in &SOURCES[1..] {
            let k = keys(src);
            let missing: Vec<_> = en.difference(&k).collect();
            let extra: Vec<_> = k.difference(&en).collect();
            assert!(missing.is_empty(), "{lang}.ftl lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "{lang}.ftl has keys English lacks: {extra:?}"
            );
        }
    }

    /// Every key a template or page module asks for (`t("…")`, `t1("…"`, `tn("…"`) exists.
    #[test]
    fn every_key_used_exists() {
        let en = keys(SOURCES[0].1);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut unknown = Vec::new();
        let mut files = Vec::new();
        for dir in ["templates", "src/ui"] {
            collect(&root.join(dir), &mut files);
        }
        assert!(!files.is_empty());
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for key in used_keys(&text) {
                if !en.contains(&key) {
                    unknown.push(format!("{}: {key}", f.display()));
                }
            }
        }
        assert!(unknown.is_empty(), "unknown keys: {unknown:#?}");
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "html" || x == "rs") {
                out.push(p);
            }
        }
    }

    /// Keys in `t("key")`, `t1("key", …)` and `tn("key", …)` calls.
    fn used_keys(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for pat in ["t(\"", "t1(\"", "tn(\""] {
            let mut rest = text;
            while let Some(i) = rest.find(pat) {
                let before = rest[..i].chars().last();
                rest = &rest[i + pat.len()..];
                // `.t("` or ` t("` or `{{ t("`, not `format!("` or `at("`.
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                if let Some(end) = rest.find('"') {
                    let key = &rest[..end];
                    // "key" is the placeholder the docs use.
                    if !key.is_empty()
                        && key != "key"
                        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    {
                        out.push(key.to_string());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_translation_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        for (lang, files) in SOURCES {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(lang))
                .unwrap()
                .flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter_map(|n| n.strip_suffix(".ftl").map(str::to_string))
                .collect();
            on_disk.sort();
            let mut listed: Vec<String> = files.iter().map(|(m, _)| m.to_string()).collect();
            listed.sort();
            assert_eq!(
                on_disk, listed,
                "locales/{lang}/ and the list in i18n.rs differ"
            );
        }
    }

    #[test]
    fn languages_are_negotiated() {
        assert_eq!(negotiate("hu-HU,hu;q=0.9,en;q=0.8"), Some("hu"));
        assert_eq!(negotiate("de-DE, pt-BR;q=0.7, es;q=0.9"), Some("es"));
        assert_eq!(negotiate("de, fr"), None);
        assert_eq!(negotiate("en;q=0, pt"), Some("pt"));
    }

    #[test]
    fn plurals_follow_the_language() {
        let en = Tr::new("en");
        assert_eq!(en.t1("count-contacts", "count", 1i64), "1 contact");
        assert_eq!(en.t1("count-contacts", "count", 5i64), "5 contacts");
        let hu = Tr::new("hu");
        assert!(hu.t1("count-contacts", "count", 5i64).contains('5'));
        assert_eq!(Tr::new("xx").lang(), "en");
    }
}
