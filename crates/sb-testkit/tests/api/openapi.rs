//! The OpenAPI document at /api/v4/openapi.json describes the whole HTTP surface: every
//! `.route(` in sb-web's sources is in its table (and nothing else is), every row of the
//! table is in the served document, and every row is really served by the app.

use reqwest::Method;
use sb_testkit::{json, spawn_apps};
use sb_web::openapi::{operations, ROUTES};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text of a string literal starting at `s[0] == '"'`, and the rest after it.
fn literal(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            }
            '"' => return (out, &s[i + 2..]),
            c => out.push(c),
        }
    }
    panic!("unterminated literal");
}

/// Splits `.route(` arguments: the text up to the closing paren, at depth 0.
fn call_args(s: &str) -> &str {
    let mut depth = 0i32;
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        match b[i] {
            b'"' => {
                let (_, rest) = literal(&s[i..]);
                i = s.len() - rest.len();
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return &s[..i];
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unclosed .route(");
}

/// Identifiers followed by `(` at depth 0: the method routers (`get(..).post(..)`).
fn top_level_calls(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut depth = 0i32;
    let mut ident = String::new();
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let (_, rest) = literal(&s[i..]);
                i = s.len() - rest.len();
                ident.clear();
                continue;
            }
            b'(' => {
                if depth == 0 && !ident.is_empty() {
                    out.push(ident.clone());
                }
                depth += 1;
            }
            b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        if c.is_ascii_alphanumeric() || c == b'_' {
            ident.push(c as char);
        } else if !c.is_ascii_whitespace() {
            ident.clear();
        }
        i += 1;
    }
    out
}

fn const_str(file: &str, name: &str) -> String {
    let key = format!("const {name}: &str = ");
    let at = file.find(&key).unwrap_or_else(|| panic!("no const {name}"));
    literal(&file[at + key.len()..]).0
}

/// `let base = format!("/api/v4/{}...", ...)` with `{}` as `@`.
fn base(file: &str) -> String {
    let key = "let base = format!(";
    let at = file
        .find(key)
        .expect("a `let base = format!(` for `&base` routes");
    literal(&file[at + key.len()..]).0.replace("{}", "@")
}

/// (path template with `@` for per-entity routes, METHOD) for every `.route(` of sb-web's
/// API (the UI's pages, `src/ui/`, excepted).
fn routes_in_sources() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sb-web/src");
    let mut files = vec![];
    rust_files(&dir, &mut files);
    let mut out = BTreeSet::new();
    // The web UI's pages are not part of the API and not in its document.
    let ui = dir.join("ui");
    for f in files.into_iter().filter(|f| !f.starts_with(&ui)) {
        let text = std::fs::read_to_string(&f).unwrap();
        // A file's unit tests (last in the file) build routers of their own.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut rest = code.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let args = call_args(rest);
            let a = args.trim_start();
            let (path, methods) = if a.starts_with('"') {
                let (p, after) = literal(a);
                (p, after)
            } else if let Some(after) = a.strip_prefix("&base") {
                (base(&code), after)
            } else if let Some(after) = a.strip_prefix("&format!(") {
                let (p, after) = literal(after);
                let p = p
                    .replace("{base}", &base(&code))
                    .replace("{{", "{")
                    .replace("}}", "}");
                // past format!'s closing paren
                (p, &after[after.find(')').unwrap() + 1..])
            } else {
                let name: String = a
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                (const_str(&code, &name), &a[name.len()..])
            };
            let methods = top_level_calls(methods);
            assert!(!methods.is_empty(), "no methods for {path} in {f:?}");
            for m in methods {
                out.insert((path.clone(), m.to_ascii_uppercase()));
            }
        }
    }
    out
}

#[test]
fn the_table_matches_every_route_in_the_sources() {
    let sources = routes_in_sources();
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.path.to_string(), r.method.method().as_str().to_string()))
        .collect();
    let missing: Vec<_> = sources.difference(&table).collect();
    let extra: Vec<_> = table.difference(&sources).collect();
    assert!(
        missing.is_empty(),
        "routes served but not in the OpenAPI table: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "OpenAPI table rows with no route: {extra:?}"
    );
    assert!(
        sources.len() > 50,
        "the parser found {} routes",
        sources.len()
    );
}

#[tokio::test]
async fn the_document_lists_every_route_and_every_listed_route_is_served() {
    for app in spawn_apps().await {
        // no auth needed
        let r = app
            .client
            .get(format!("{}/api/v4/openapi.json", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let doc = json(r).await;
        assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(
            doc["components"]["schemas"]["Problem"]["properties"]["validation-errors"].is_object()
        );

        let ops = operations();
        assert!(ops.len() >= 70, "{} operations", ops.len());
        let mut in_doc = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for m in item.as_object().unwrap().keys() {
                let method = Method::from_bytes(m.to_ascii_uppercase().as_bytes()).unwrap();
                assert!(
                    ops.iter().any(|o| o.method == method && &o.path == path),
                    "{m} {path} is in the document but not in the table"
                );
                in_doc += 1;
            }
        }
        assert_eq!(in_doc, ops.len());

        for o in &ops {
            let m = o.method.as_str().to_ascii_lowercase();
            let op = &doc["paths"][&o.path][&m];
            assert!(
                op.is_object(),
                "{} {} is not in the document",
                o.method,
                o.path
            );
            assert_eq!(
                op["security"].is_array(),
                o.route.auth,
                "{} {}",
                o.method,
                o.path
            );
            // The live app serves it: ids (and every other path parameter) become 1.
            let concrete: String = o
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let token = o.route.auth.then_some(app.admin_token.as_str());
            let r = app.call(o.method.clone(), &concrete, token, None).await;
            let status = r.status();
            assert_ne!(status, 405, "{} {concrete}: method not allowed", o.method);
            if status == 404 {
                let body = r.text().await.unwrap();
                assert!(
                    !body.contains("No such route"),
                    "{} {concrete}: no such route",
                    o.method
                );
            }
        }
    }
}

/// THE rule for a malformed path id: every route with an id in its path (every integer
/// parameter of the table, so a new module is walked too) answers a non-integer id, in
/// any of its id positions, with 404 and Kommo's problem+json, whatever the method.
/// (Reads once answered 204 here, writes 400 and telephony 404.)
#[tokio::test]
async fn a_path_id_that_is_not_an_integer_answers_404_problem_json_on_every_route() {
    for app in spawn_apps().await {
        let mut walked = 0;
        for o in operations() {
            let segs: Vec<&str> = o.path.split('/').collect();
            let ids: Vec<usize> = (0..segs.len())
                .filter(|&i| {
                    segs[i]
                        .strip_prefix('{')
                        .and_then(|s| s.strip_suffix('}'))
                        .is_some_and(sb_web::openapi::is_integer_param)
                })
                .collect();
            for &bad_at in &ids {
                for bad in ["abc", "1.5", "99999999999999999999"] {
                    let concrete: String = segs
                        .iter()
                        .enumerate()
                        .map(|(i, s)| match () {
                            _ if i == bad_at => bad,
                            _ if s.starts_with('{') => "1",
                            _ => s,
                        })
                        .collect::<Vec<_>>()
                        .join("/");
                    let token = o.route.auth.then_some(app.admin_token.as_str());
                    let body = o.route.body.map(|_| serde_json::json!({}));
                    let r = app.call(o.method.clone(), &concrete, token, body).await;
                    let what = format!("{} {concrete}", o.method);
                    assert_eq!(r.status(), 404, "{what}");
                    assert_eq!(
                        r.headers()["content-type"],
                        "application/problem+json",
                        "{what}"
                    );
                    let v = json(r).await;
                    assert_eq!(v["status"], 404, "{what}");
                    assert_eq!(v["title"], "Not Found", "{what}");
                    let detail = v["detail"].as_str().unwrap_or_default();
                    assert!(
                        detail.contains(bad) && detail.contains("not an integer"),
                        "{what}: {detail}"
                    );
                    walked += 1;
                }
            }
        }
        assert!(walked > 150, "only {walked} id routes walked");
    }
}
