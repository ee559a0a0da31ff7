//! The signed-in user's own settings: language (also the header's switch) and password.

use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_service::sessions;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(show))
        .route("/profile/lang", post(set_lang))
        .route("/profile/password", post(change_password))
}

#[derive(Template)]
#[template(path = "profile/index.html")]
struct ProfilePage {
    l: Layout,
    errors: FormErrors,
    saved: bool,
}

async fn show(ui: Ui) -> UiResult {
    Ok(page(&ProfilePage {
        l: ui.layout("profile"),
        errors: FormErrors::none(),
        saved: ui.here.contains("saved=1"),
    }))
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    /// Where the switch was pressed (a path on this site).
    #[serde(default)]
    back: String,
}

async fn set_lang(ui: Ui, Form(f): Form<LangForm>) -> UiResult {
    sessions::set_lang(ui.ctx(), &ui.actor, &f.lang)
        .await
        .or_fail(&ui)?;
    let back = if f.back.starts_with('/') && !f.back.starts_with("//") {
        f.back
    } else {
        "/".into()
    };
    Ok(ui.redirect(&back))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn change_password(ui: Ui, Form(f): Form<PasswordForm>) -> UiResult {
    let errors = if f.new_password != f.confirm_password {
        Some(FormErrors(vec![(
            "confirm_password".into(),
            ui.tr.t("profile-password-mismatch"),
        )]))
    } else {
        match sessions::change_password(
            ui.ctx(),
            &ui.actor,
            &ui.token,
            &f.current_password,
            &f.new_password,
        )
        .await
        {
            Ok(()) => None,
            Err(e) => Some(ui.form_errors(e)?),
        }
    };
    match errors {
        None => Ok(ui.redirect("/profile?saved=1")),
        Some(errors) => Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            page(&ProfilePage {
                l: ui.layout("profile"),
                errors,
                saved: false,
            }),
        )
            .into_response()),
    }
}
