//! Fuzz targets: one function per parser that meets untrusted input, each taking raw
//! bytes and panicking only when it finds a bug (a panic in the parser, a broken
//! invariant, or a 5xx from the real router).
//!
//! The same functions are driven two ways: by the coverage-guided fuzzer (`scripts/fuzz`,
//! the harness in `fuzz/`, outside the workspace because it is built with instrumentation),
//! and by the bounded replay-and-mutate test in `tests/replay.rs`, which runs on every CI
//! run with a normal build. The seed corpora live in `corpus/<target>/`, every finding's
//! input in `corpus/<target>/regressions/`.
//!
//! The HTTP-level targets hold everything fixed but the part they fuzz (the route, the
//! credentials), so that a mutation lands in the parser rather than in a 404.

// A target reports a finding the way every fuzzer expects: by panicking.
#![allow(clippy::panic)]

pub mod http;
pub mod mutate;
pub mod pure;

pub use http::Harness;

/// What a target needs to run: the pure ones nothing, the HTTP ones a built app.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Pure(fn(&[u8])),
    Http(fn(&Harness, &[u8])),
}

/// One fuzz target: its name (also its corpus folder and its fuzzer binary) and entry.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub name: &'static str,
    pub kind: Kind,
    /// Tokens the mutator splices in: field names and syntax from the spec.
    pub dictionary: &'static [&'static str],
}

/// Tokens every target gets: syntax of the formats involved, edges of numbers, unicode.
pub const COMMON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "%",
    "%00",
    "%ff",
    "%zz",
    "&",
    "=",
    ";",
    "+",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "-1",
    "0",
    "1e999",
    "-0",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "99999999999999999999999999",
    "1.5",
    "NaN",
    "ñandú",
    "𝔘",
    "\u{200b}",
    "\r\n",
    "\n",
    " ",
    "\0",
    "\u{feff}",
];

/// Every target, in the order the replay runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "zadarma_webhook",
        kind: Kind::Pure(pure::zadarma_webhook),
        dictionary: &[
            "event=",
            "NOTIFY_START",
            "NOTIFY_INTERNAL",
            "NOTIFY_ANSWER",
            "NOTIFY_END",
            "NOTIFY_OUT_START",
            "NOTIFY_OUT_END",
            "NOTIFY_RECORD",
            "NOTIFY_IVR",
            "NOTIFY_INTERNAL_END",
            "SMS",
            "SPEECH_RECOGNITION",
            "zd_echo=",
            "&pbx_call_id=",
            "in_",
            "out_",
            "&caller_id=",
            "&called_did=",
            "&call_start=",
            "&internal=",
            "&destination=",
            "&duration=",
            "&disposition=",
            "&status_code=",
            "&is_recorded=",
            "&call_id_with_rec=",
            "&last_internal=",
            "&result=",
            "wait_dtmf[digits]",
            "signature: auto",
            "signature: ",
            "content-type: ",
            "multipart/form-data; boundary=B",
            "--B",
            "--B--",
            "Content-Disposition: form-data; name=",
            "; filename=",
            "\r\n\r\n",
            "query: ",
            "ip: ",
        ],
    },
    Target {
        name: "phone",
        kind: Kind::Pure(pure::phone),
        dictionary: &[
            "+",
            "00",
            "34",
            "ES",
            "US",
            "GB",
            "RU",
            "+34 91 123 45 67",
            "(",
            ")",
            "-",
            "ext.",
            "x",
            "#",
            "*",
            "٣",
            "１",
            "+7",
            "+1",
        ],
    },
    Target {
        name: "zadarma_sign",
        kind: Kind::Pure(pure::zadarma_sign),
        dictionary: &[
            "=",
            "&",
            "/v1/info/balance/",
            "format",
            "json",
            "~",
            "*",
            " ",
            "%20",
        ],
    },
    Target {
        name: "api_query",
        kind: Kind::Http(http::api_query),
        dictionary: &[
            "filter[id]=",
            "filter[id][]=",
            "filter[name]=",
            "filter[price][from]=",
            "filter[price][to]=",
            "filter[created_at][from]=",
            "filter[updated_at][to]=",
            "filter[statuses][0][pipeline_id]=",
            "filter[statuses][0][status_id]=",
            "filter[responsible_user_id]=",
            "filter[custom_fields_values][",
            "][from]=",
            "order[id]=",
            "order[created_at]=",
            "order[updated_at]=",
            "asc",
            "desc",
            "with=",
            "contacts,leads,catalog_elements",
            "page=",
            "limit=",
            "query=",
            "&",
            "/api/v4/leads",
            "/api/v4/contacts",
            "/api/v4/companies",
            "/api/v4/tasks",
            "/api/v4/events",
            "/api/v4/leads/notes",
            "/api/v4/calls/live",
            "?",
        ],
    },
    Target {
        name: "api_json",
        kind: Kind::Http(http::api_json),
        dictionary: &[
            "POST ",
            "PATCH ",
            "/api/v4/leads",
            "/api/v4/contacts",
            "/api/v4/companies",
            "/api/v4/tasks",
            "/api/v4/leads/complex",
            "/api/v4/calls",
            "/oauth2/access_token",
            "\"name\":",
            "\"price\":",
            "\"id\":",
            "\"status_id\":",
            "\"pipeline_id\":",
            "\"responsible_user_id\":",
            "\"custom_fields_values\":",
            "\"field_id\":",
            "\"field_code\":\"PHONE\"",
            "\"values\":",
            "\"value\":",
            "\"enum_code\":\"WORK\"",
            "\"_embedded\":",
            "\"tags\":",
            "\"contacts\":",
            "\"companies\":",
            "\"text\":",
            "\"complete_till\":",
            "\"entity_type\":\"leads\"",
            "\"entity_id\":",
            "\"phone\":",
            "\"direction\":\"inbound\"",
            "\"duration\":",
            "\"source\":",
            "\"uniq\":",
            "\"grant_type\":\"refresh_token\"",
            "\"client_id\":",
            "\"request_id\":",
        ],
    },
    Target {
        name: "ui_form",
        kind: Kind::Http(http::ui_form),
        dictionary: &[
            "/leads/quick",
            "/contacts",
            "/companies",
            "/tasks",
            "/calls/dial",
            "/calls/blacklist",
            "/profile/lang",
            "/profile/password",
            "/login",
            "/alerts/dismiss",
            "/settings/pipelines",
            "name=",
            "&price=",
            "&phone=",
            "&email=",
            "&lang=",
            "&pipeline_id=",
            "&status_id=",
            "&responsible_user_id=",
            "&text=",
            "&due=",
            "&number=",
            "&_csrf=",
            "&email=admin%40example.test",
            "&password=",
            "cf_",
            "nocsrf\n",
        ],
    },
    Target {
        name: "session_cookie",
        kind: Kind::Http(http::session_cookie),
        dictionary: &[
            "sb_session=",
            "{session}",
            "sb_lang=",
            "es",
            "; ",
            "=",
            "sb_login_csrf=",
        ],
    },
    Target {
        name: "bearer",
        kind: Kind::Http(http::bearer),
        dictionary: &[
            "Bearer ",
            "bearer ",
            "{jwt}",
            "{api_token}",
            "eyJ",
            ".",
            "eyJhbGciOiJub25lIn0",
            "eyJhbGciOiJIUzI1NiJ9",
            "eyJhbGciOiJSUzI1NiJ9",
            "==",
            "-",
            "_",
        ],
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Lowercase hex, for printing an input that failed.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}
