//! Custom fields in forms, shared by the cards of contacts, companies and leads: one
//! input (or a row of inputs) per field of the account, what it holds now (stored or as
//! typed), and what the form says in the service's input shape. The inputs are drawn
//! by `templates/fields/inputs.html`.

use super::{Layout, Ui};
use sb_domain::fields::{FieldDef, FieldType, FieldValue, FieldValueInput, ValueInput};
use sb_service::custom_fields::RawFieldFilter;
use serde_json::Value;

/// A form or query string as name/value pairs: repeated names (`cols`, a field's
/// several phones, a multiselect's options) keep every value, in order.
pub type Pairs = Vec<(String, String)>;

pub fn first<'a>(p: &'a Pairs, key: &str) -> &'a str {
    p.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

pub fn every<'a>(p: &'a Pairs, key: &str) -> Vec<&'a str> {
    p.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .collect()
}

/// A translated label for a PHONE/EMAIL type (WORK, MOB, PRIV, …); other fields'
/// options are the account's own words and show as they are.
pub fn enum_label(ui: &Ui, def: &FieldDef, value: &str) -> String {
    let key = match def.code.as_deref() {
        Some("PHONE") => format!("cards-phone-{value}"),
        Some("EMAIL") => format!("cards-email-{value}"),
        _ => return value.to_string(),
    };
    if ui.tr.has(&key) {
        ui.tr.t(&key)
    } else {
        value.to_string()
    }
}

/// A number as a person writes it: `3`, not `3.0`.
pub fn number_text(v: &Value) -> String {
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "1" } else { "" }.to_string(),
        _ => String::new(),
    }
}

/// Unix seconds of a date field's value.
pub fn secs_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One custom field's input(s), with what they hold now (stored, or as typed).
pub struct FieldForm {
    pub id: i64,
    pub name: String,
    /// Which input the template draws: "text", "textarea", "url", "number",
    /// "checkbox", "select", "radio", "multiselect", "multitext", "date", "datetime".
    pub input: &'static str,
    /// For "multitext": the input's type (`tel` for phones, `email` for e-mails).
    pub text_type: &'static str,
    pub values: Vec<String>,
    /// For "multitext": each value's type (an option's id), parallel to `values`.
    pub types: Vec<String>,
    /// Option id and label.
    pub options: Vec<(String, String)>,
    /// The key of its errors in the service's answer (`custom_fields_values.N`).
    pub error_key: String,
}

impl FieldForm {
    pub fn has(&self, v: &str) -> bool {
        self.values.iter().any(|x| x == v)
    }
    pub fn value(&self) -> &str {
        self.values.first().map(String::as_str).unwrap_or("")
    }
    /// The rows a multi-value field shows: what it holds, then one empty row to add to.
    pub fn rows(&self) -> Vec<(usize, &str, &str)> {
        let mut out: Vec<(usize, &str, &str)> = self
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    i,
                    v.as_str(),
                    self.types.get(i).map(String::as_str).unwrap_or(""),
                )
            })
            .collect();
        out.push((out.len(), "", ""));
        out
    }
}

fn input_of(def: &FieldDef) -> (&'static str, &'static str) {
    match def.field_type {
        FieldType::Text => ("text", "text"),
        FieldType::Textarea => ("textarea", "text"),
        FieldType::Url => ("url", "url"),
        FieldType::Numeric | FieldType::Price => ("number", "text"),
        FieldType::Checkbox => ("checkbox", "text"),
        FieldType::Select => ("select", "text"),
        FieldType::Radiobutton => ("radio", "text"),
        FieldType::Multiselect => ("multiselect", "text"),
        FieldType::Date | FieldType::Birthday => ("date", "text"),
        FieldType::DateTime => ("datetime", "text"),
        FieldType::Multitext if def.is_phone() => ("multitext", "tel"),
        FieldType::Multitext if def.code.as_deref() == Some("EMAIL") => ("multitext", "email"),
        FieldType::Multitext => ("multitext", "text"),
    }
}

fn blank_field(ui: &Ui, i: usize, def: &FieldDef) -> FieldForm {
    let (input, text_type) = input_of(def);
    FieldForm {
        id: def.id.0,
        name: def.name.clone(),
        input,
        text_type,
        values: vec![],
        types: vec![],
        options: def
            .enums
            .iter()
            .map(|e| (e.id.to_string(), enum_label(ui, def, &e.value)))
            .collect(),
        error_key: format!("custom_fields_values.{i}"),
    }
}

/// The form's fields holding a card's stored values.
pub fn stored(ui: &Ui, l: &Layout, defs: &[FieldDef], stored: &[FieldValue]) -> Vec<FieldForm> {
    defs.iter()
        .enumerate()
        .map(|(i, d)| {
            let mut f = blank_field(ui, i, d);
            let Some(fv) = stored.iter().find(|v| v.field_id == d.id) else {
                return f;
            };
            for item in &fv.values {
                let v = match d.field_type {
                    FieldType::Date | FieldType::Birthday => secs_of(&item.value)
                        .map(|s| l.input_datetime(s * 1000).chars().take(10).collect())
                        .unwrap_or_default(),
                    FieldType::DateTime => secs_of(&item.value)
                        .map(|s| l.input_datetime(s * 1000))
                        .unwrap_or_default(),
                    FieldType::Select | FieldType::Radiobutton | FieldType::Multiselect => {
                        item.enum_id.map(|e| e.to_string()).unwrap_or_default()
                    }
                    _ => number_text(&item.value),
                };
                f.values.push(v);
                f.types
                    .push(item.enum_id.map(|e| e.to_string()).unwrap_or_default());
            }
            f
        })
        .collect()
}

/// The form's fields holding what was typed (shown again beside the errors).
pub fn typed(ui: &Ui, defs: &[FieldDef], p: &Pairs) -> Vec<FieldForm> {
    defs.iter()
        .enumerate()
        .map(|(i, d)| {
            let mut f = blank_field(ui, i, d);
            let key = format!("cf{}", d.id.0);
            let values = every(p, &key);
            let types = every(p, &format!("{key}_type"));
            for (j, v) in values.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                f.values.push(v.to_string());
                f.types
                    .push(types.get(j).map(|t| t.to_string()).unwrap_or_default());
            }
            f
        })
        .collect()
}

/// What the form says about every field, in the service's input shape: each field is
/// written (an emptied one is cleared), in the order of `defs` so that an error's
/// `custom_fields_values.N` names the field it is about.
pub fn inputs(l: &Layout, defs: &[FieldDef], p: &Pairs) -> Vec<FieldValueInput> {
    defs.iter()
        .map(|d| {
            let key = format!("cf{}", d.id.0);
            let values = every(p, &key);
            let types = every(p, &format!("{key}_type"));
            let text = |v: &str| ValueInput {
                value: Some(Value::String(v.to_string())),
                ..Default::default()
            };
            let items: Vec<ValueInput> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_empty())
                .map(|(j, v)| match d.field_type {
                    FieldType::Checkbox => ValueInput {
                        value: Some(Value::Bool(true)),
                        ..Default::default()
                    },
                    FieldType::Select | FieldType::Radiobutton | FieldType::Multiselect => {
                        match v.parse::<i64>() {
                            Ok(id) => ValueInput {
                                enum_id: Some(id),
                                ..Default::default()
                            },
                            Err(_) => text(v),
                        }
                    }
                    // A day the input could not read goes on as typed: the service
                    // answers that it is not a date, beside the field.
                    FieldType::Date | FieldType::Birthday => match l.fmt.parse_input_date(v, false)
                    {
                        Some(ms) => ValueInput {
                            value: Some(Value::from(ms.div_euclid(1000))),
                            ..Default::default()
                        },
                        None => text(v),
                    },
                    FieldType::DateTime => match l.fmt.parse_input_datetime(v) {
                        Some(ms) => ValueInput {
                            value: Some(Value::from(ms.div_euclid(1000))),
                            ..Default::default()
                        },
                        None => text(v),
                    },
                    FieldType::Multitext => ValueInput {
                        value: Some(Value::String(v.to_string())),
                        enum_id: types.get(j).and_then(|t| t.parse().ok()),
                        enum_code: None,
                    },
                    _ => text(v),
                })
                .collect();
            FieldValueInput {
                field_id: Some(d.id.0),
                field_code: None,
                values: Some(items),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Lists: a filter and a column per custom field

/// A custom field in a list's filter form and column picker.
pub struct FieldChoice {
    pub id: i64,
    pub name: String,
    pub shown: bool,
    /// "enum" (a select of options), "check", "range" (numbers), "dates", "text".
    pub filter: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub from: String,
    pub to: String,
}

/// The filter inputs and column choices for `defs` (what the query `q` asks: `f{id}`,
/// `f{id}_from`, `f{id}_to`, `cols`), and the service's filters for what is set. Days
/// typed in a date filter are read in the account's zone.
pub fn list_filters(
    l: &Layout,
    defs: &[&FieldDef],
    q: &Pairs,
    cols: &[i64],
) -> (Vec<FieldChoice>, Vec<RawFieldFilter>) {
    let mut choices = Vec::new();
    let mut field_filters = Vec::new();
    for d in defs {
        let key = format!("f{}", d.id.0);
        let filter = match d.field_type {
            FieldType::Select | FieldType::Multiselect | FieldType::Radiobutton => "enum",
            FieldType::Checkbox => "check",
            FieldType::Numeric | FieldType::Price => "range",
            FieldType::Date | FieldType::DateTime | FieldType::Birthday => "dates",
            _ => "text",
        };
        let value = first(q, &key).to_string();
        let from = first(q, &format!("{key}_from")).to_string();
        let to = first(q, &format!("{key}_to")).to_string();
        match filter {
            "range" | "dates" if !from.is_empty() || !to.is_empty() => {
                // Dates are stored as Unix seconds: the inputs' days become seconds.
                let conv = |s: &str, end: bool| -> Option<String> {
                    if s.is_empty() {
                        return None;
                    }
                    if filter == "dates" {
                        l.fmt
                            .parse_input_date(s, end)
                            .map(|ms| ms.div_euclid(1000).to_string())
                    } else {
                        Some(s.to_string())
                    }
                };
                field_filters.push(RawFieldFilter {
                    field_id: d.id.0,
                    values: vec![],
                    from: conv(&from, false),
                    to: conv(&to, true),
                });
            }
            "enum" | "check" | "text" if !value.is_empty() => {
                field_filters.push(RawFieldFilter {
                    field_id: d.id.0,
                    values: vec![value.clone()],
                    from: None,
                    to: None,
                });
            }
            _ => {}
        }
        choices.push(FieldChoice {
            id: d.id.0,
            name: d.name.clone(),
            shown: cols.contains(&d.id.0),
            filter,
            options: d
                .enums
                .iter()
                .map(|e| (e.id.to_string(), e.value.clone()))
                .collect(),
            value,
            from,
            to,
        });
    }
    (choices, field_filters)
}

// ---------------------------------------------------------------------------------
// Reading: how stored values show on a card and in list cells

/// How one stored value reads on a card or in a list cell.
pub fn display(ui: &Ui, l: &Layout, def: &FieldDef, fv: &FieldValue) -> Vec<Shown> {
    fv.values
        .iter()
        .map(|item| {
            let raw = number_text(&item.value);
            let (text, href) = match def.field_type {
                FieldType::Date | FieldType::Birthday => (
                    secs_of(&item.value)
                        .map(|s| l.date(s * 1000))
                        .unwrap_or(raw),
                    None,
                ),
                FieldType::DateTime => (
                    secs_of(&item.value)
                        .map(|s| l.datetime(s * 1000))
                        .unwrap_or(raw),
                    None,
                ),
                FieldType::Checkbox => (
                    if item.value.as_bool().unwrap_or(false) {
                        ui.tr.t("cards-yes")
                    } else {
                        ui.tr.t("cards-no")
                    },
                    None,
                ),
                FieldType::Url => (raw.clone(), Some(raw)),
                FieldType::Multitext if def.is_phone() => {
                    let tel: String = raw
                        .chars()
                        .filter(|c| c.is_ascii_digit() || *c == '+')
                        .collect();
                    (raw, Some(format!("tel:{tel}")))
                }
                FieldType::Multitext if def.code.as_deref() == Some("EMAIL") => {
                    let href = format!("mailto:{raw}");
                    (raw, Some(href))
                }
                _ => (raw, None),
            };
            let kind = item
                .enum_code
                .as_deref()
                .filter(|_| def.field_type == FieldType::Multitext)
                .map(|c| enum_label(ui, def, c));
            let dial =
                (def.field_type == FieldType::Multitext && def.is_phone()).then(|| text.clone());
            Shown {
                text,
                href,
                kind,
                dial,
            }
        })
        .collect()
}

pub struct Shown {
    pub text: String,
    pub href: Option<String>,
    /// The value's type (WORK, MOB, …), translated.
    pub kind: Option<String>,
    /// A phone: the number the card's call button dials.
    pub dial: Option<String>,
}

pub fn joined(v: &[Shown]) -> String {
    v.iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A field and its values as a card shows them.
pub struct Prop {
    pub label: String,
    pub values: Vec<Shown>,
}

/// Every field of `defs` with what `stored` holds for it (an empty list when nothing).
pub fn props(ui: &Ui, l: &Layout, defs: &[FieldDef], stored: &[FieldValue]) -> Vec<Prop> {
    defs.iter()
        .map(|d| Prop {
            label: d.name.clone(),
            values: stored
                .iter()
                .find(|v| v.field_id == d.id)
                .map(|fv| display(ui, l, d, fv))
                .unwrap_or_default(),
        })
        .collect()
}

/// The text of a list cell: a field's values joined.
pub fn cell(ui: &Ui, l: &Layout, def: &FieldDef, stored: &[FieldValue]) -> String {
    stored
        .iter()
        .find(|v| v.field_id == def.id)
        .map(|fv| joined(&display(ui, l, def, fv)))
        .unwrap_or_default()
}
