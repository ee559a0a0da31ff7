//! Custom fields (C10): definitions, stored values, and validation of written values
//! by type. Validation is pure so the API and the UI give the same answers.

use crate::{EntityKind, FieldId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Numeric,
    Checkbox,
    Select,
    Multiselect,
    Multitext,
    Date,
    DateTime,
    Birthday,
    Url,
    Textarea,
    Radiobutton,
    Price,
}

impl FieldType {
    pub const ALL: [FieldType; 13] = [
        FieldType::Text,
        FieldType::Numeric,
        FieldType::Checkbox,
        FieldType::Select,
        FieldType::Multiselect,
        FieldType::Multitext,
        FieldType::Date,
        FieldType::DateTime,
        FieldType::Birthday,
        FieldType::Url,
        FieldType::Textarea,
        FieldType::Radiobutton,
        FieldType::Price,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Numeric => "numeric",
            FieldType::Checkbox => "checkbox",
            FieldType::Select => "select",
            FieldType::Multiselect => "multiselect",
            FieldType::Multitext => "multitext",
            FieldType::Date => "date",
            FieldType::DateTime => "date_time",
            FieldType::Birthday => "birthday",
            FieldType::Url => "url",
            FieldType::Textarea => "textarea",
            FieldType::Radiobutton => "radiobutton",
            FieldType::Price => "price",
        }
    }
    pub fn parse(s: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.as_str() == s)
    }
    pub fn has_enums(self) -> bool {
        matches!(
            self,
            FieldType::Select
                | FieldType::Multiselect
                | FieldType::Radiobutton
                | FieldType::Multitext
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEnum {
    pub id: i64,
    pub value: String,
    pub sort: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub id: FieldId,
    pub entity: String,
    pub name: String,
    pub code: Option<String>,
    pub field_type: FieldType,
    pub sort: i64,
    pub enums: Vec<FieldEnum>,
    pub is_predefined: bool,
    pub is_deletable: bool,
}

impl FieldDef {
    pub fn entity_kind(&self) -> Option<EntityKind> {
        match self.entity.as_str() {
            "leads" => Some(EntityKind::Leads),
            "contacts" => Some(EntityKind::Contacts),
            "companies" => Some(EntityKind::Companies),
            _ => None,
        }
    }
    pub fn is_phone(&self) -> bool {
        self.code.as_deref() == Some("PHONE")
    }
}

/// One stored value of a field; `value` is a JSON scalar of the field's type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueItem {
    pub value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldValue {
    pub field_id: FieldId,
    pub values: Vec<ValueItem>,
}

/// A value as a client writes it (Kommo shape): the field by id or code, values with
/// an enum by id or code. `null` ids are accepted, as the PHP SDK sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FieldValueInput {
    #[serde(default)]
    pub field_id: Option<i64>,
    #[serde(default)]
    pub field_code: Option<String>,
    #[serde(default)]
    pub values: Option<Vec<ValueInput>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ValueInput {
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub enum_id: Option<i64>,
    #[serde(default)]
    pub enum_code: Option<String>,
}

/// A validation failure that names the offending field, Kommo-style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub code: String,
    pub path: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(code: &str, path: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            code: code.to_string(),
            path: path.into(),
            detail: detail.into(),
        }
    }
    pub fn required(path: impl Into<String>) -> Self {
        FieldError::new("RequiredFilled", path, "This field is required.")
    }
    pub fn invalid_type(path: impl Into<String>, expected: &str) -> Self {
        FieldError::new(
            "InvalidType",
            path,
            format!("This value should be of type {expected}."),
        )
    }
    pub fn not_supported(path: impl Into<String>) -> Self {
        FieldError::new(
            "NotSupportedChoice",
            path,
            "The value you selected is not a valid choice.",
        )
    }
}

/// PHONE enum codes; `MOBILE` is accepted as a synonym of Kommo's `MOB`.
pub const PHONE_ENUMS: [&str; 6] = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"];
pub const EMAIL_ENUMS: [&str; 3] = ["WORK", "PRIV", "OTHER"];

fn canonical_enum_code(code: &str) -> String {
    let up = code.trim().to_ascii_uppercase();
    match up.as_str() {
        "MOBILE" => "MOB".to_string(),
        _ => up,
    }
}

/// Validates written values against the entity's field definitions. Returns the values
/// to store, one entry per field (writing a field replaces its values; `values: null`
/// clears it, which is an entry with no values).
pub fn validate_values(
    defs: &[FieldDef],
    input: &[FieldValueInput],
    base_path: &str,
) -> Result<Vec<FieldValue>, Vec<FieldError>> {
    let mut out: Vec<FieldValue> = Vec::new();
    let mut errors = Vec::new();
    for (i, fv) in input.iter().enumerate() {
        let path = format!("{base_path}.{i}");
        let def = match (fv.field_id, fv.field_code.as_deref()) {
            (Some(id), _) => defs.iter().find(|d| d.id.0 == id),
            (None, Some(code)) => defs.iter().find(|d| {
                d.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
            }),
            (None, None) => {
                errors.push(FieldError::required(format!("{path}.field_id")));
                continue;
            }
        };
        let Some(def) = def else {
            let which = if fv.field_id.is_some() {
                "field_id"
            } else {
                "field_code"
            };
            errors.push(FieldError::not_supported(format!("{path}.{which}")));
            continue;
        };
        let mut items = Vec::new();
        let values = fv.values.as_deref().unwrap_or(&[]);
        if values.len() > 1
            && !matches!(
                def.field_type,
                FieldType::Multiselect | FieldType::Multitext
            )
        {
            errors.push(FieldError::new(
                "InvalidType",
                format!("{path}.values"),
                format!("Field {} takes a single value.", def.id),
            ));
            continue;
        }
        for (j, v) in values.iter().enumerate() {
            let vpath = format!("{path}.values.{j}");
            match validate_item(def, v, &vpath) {
                Ok(item) => items.push(item),
                Err(e) => errors.push(e),
            }
        }
        out.retain(|f| f.field_id != def.id);
        out.push(FieldValue {
            field_id: def.id,
            values: items,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn find_enum<'a>(
    def: &'a FieldDef,
    v: &ValueInput,
    vpath: &str,
) -> Result<Option<&'a FieldEnum>, FieldError> {
    if let Some(id) = v.enum_id {
        return def
            .enums
            .iter()
            .find(|e| e.id == id)
            .map(Some)
            .ok_or_else(|| FieldError::not_supported(format!("{vpath}.enum_id")));
    }
    if let Some(code) = v.enum_code.as_deref() {
        let code = canonical_enum_code(code);
        return def
            .enums
            .iter()
            .find(|e| e.value.eq_ignore_ascii_case(&code))
            .map(Some)
            .ok_or_else(|| FieldError::not_supported(format!("{vpath}.enum_code")));
    }
    Ok(None)
}

fn validate_item(def: &FieldDef, v: &ValueInput, vpath: &str) -> Result<ValueItem, FieldError> {
    let value_path = format!("{vpath}.value");
    let as_text = |val: &Option<Value>| -> Result<String, FieldError> {
        match val {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                Err(FieldError::required(value_path.clone()))
            }
            Some(_) => Err(FieldError::invalid_type(value_path.clone(), "string")),
        }
    };
    match def.field_type {
        FieldType::Text | FieldType::Textarea => {
            let s = as_text(&v.value)?;
            if s.chars().count() > 16_384 {
                return Err(FieldError::new(
                    "InvalidLength",
                    value_path,
                    "The value is too long.",
                ));
            }
            Ok(ValueItem {
                value: Value::String(s),
                enum_id: None,
                enum_code: None,
            })
        }
        FieldType::Url => {
            let s = as_text(&v.value)?;
            if !(s.starts_with("http://") || s.starts_with("https://")) || s.len() > 2048 {
                return Err(FieldError::new(
                    "InvalidUrl",
                    value_path,
                    "This value is not a valid URL.",
                ));
            }
            Ok(ValueItem {
                value: Value::String(s),
                enum_id: None,
                enum_code: None,
            })
        }
        FieldType::Numeric | FieldType::Price => {
            let n = match &v.value {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if n.is_finite() => Ok(ValueItem {
                    value: serde_json::json!(n),
                    enum_id: None,
                    enum_code: None,
                }),
                _ => Err(FieldError::invalid_type(value_path, "numeric")),
            }
        }
        FieldType::Checkbox => match &v.value {
            Some(Value::Bool(b)) => Ok(ValueItem {
                value: Value::Bool(*b),
                enum_id: None,
                enum_code: None,
            }),
            Some(Value::Number(n)) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(ValueItem {
                    value: Value::Bool(n.as_i64() == Some(1)),
                    enum_id: None,
                    enum_code: None,
                })
            }
            _ => Err(FieldError::invalid_type(value_path, "bool")),
        },
        FieldType::Date | FieldType::DateTime | FieldType::Birthday => {
            let ts = match &v.value {
                Some(Value::Number(n)) => n.as_i64(),
                Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match ts {
                Some(ts) => Ok(ValueItem {
                    value: serde_json::json!(ts),
                    enum_id: None,
                    enum_code: None,
                }),
                None => Err(FieldError::invalid_type(value_path, "timestamp")),
            }
        }
        FieldType::Select | FieldType::Radiobutton | FieldType::Multiselect => {
            let e = match find_enum(def, v, vpath)? {
                Some(e) => e,
                None => {
                    let text = as_text(&v.value)?;
                    def.enums
                        .iter()
                        .find(|e| e.value == text)
                        .ok_or_else(|| FieldError::not_supported(value_path.clone()))?
                }
            };
            Ok(ValueItem {
                value: Value::String(e.value.clone()),
                enum_id: Some(e.id),
                enum_code: None,
            })
        }
        FieldType::Multitext => {
            let s = as_text(&v.value)?;
            if s.chars().count() > 256 {
                return Err(FieldError::new(
                    "InvalidLength",
                    value_path,
                    "The value is too long.",
                ));
            }
            if def.code.as_deref() == Some("EMAIL") && !s.contains('@') {
                return Err(FieldError::new(
                    "InvalidEmail",
                    value_path,
                    "This value is not a valid e-mail address.",
                ));
            }
            let e = match find_enum(def, v, vpath)? {
                Some(e) => Some(e),
                // Without an enum the value is filed under the first one (WORK).
                None => def.enums.first(),
            };
            Ok(ValueItem {
                value: Value::String(s),
                enum_id: e.map(|e| e.id),
                enum_code: e.map(|e| e.value.clone()),
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn phone_def() -> FieldDef {
        FieldDef {
            id: FieldId(3),
            entity: "contacts".into(),
            name: "Phone".into(),
            code: Some("PHONE".into()),
            field_type: FieldType::Multitext,
            sort: 4,
            enums: PHONE_ENUMS
                .iter()
                .enumerate()
                .map(|(i, c)| FieldEnum {
                    id: 10 + i as i64,
                    value: c.to_string(),
                    sort: i as i64,
                })
                .collect(),
            is_predefined: true,
            is_deletable: false,
        }
    }

    #[test]
    fn phone_by_code_with_enum_code() {
        let input: Vec<FieldValueInput> = serde_json::from_str(r#"[{"field_code":"PHONE","field_id":null,"values":[{"value":"+34 91 123 45 67","enum_code":"MOBILE","enum_id":null}]}]"#).unwrap();
        let out = validate_values(&[phone_def()], &input, "custom_fields_values").unwrap();
        assert_eq!(out[0].values[0].enum_code.as_deref(), Some("MOB"));
    }

    #[test]
    fn unknown_enum_and_field_are_named() {
        let input: Vec<FieldValueInput> = serde_json::from_str(r#"[{"field_code":"PHONE","values":[{"value":"1","enum_code":"PAGER"}]},{"field_id":999,"values":[]}]"#).unwrap();
        let errs = validate_values(&[phone_def()], &input, "custom_fields_values").unwrap_err();
        assert_eq!(errs[0].path, "custom_fields_values.0.values.0.enum_code");
        assert_eq!(errs[1].path, "custom_fields_values.1.field_id");
    }
}
