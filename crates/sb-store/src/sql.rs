//! A small query builder that numbers `$N` binds itself (sqlx's QueryBuilder writes
//! `?`, which PostgreSQL refuses).

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I64(Option<i64>),
    F64(Option<f64>),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::F64(Some(v))
    }
}
impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Self {
        Arg::F64(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    /// Appends `$N` for a new bind.
    ///
    /// A missing value is written as the literal `null`, not bound: through the Any
    /// driver a bound NULL can fix a parameter's type on PostgreSQL (a cached statement
    /// prepared with a NULL float later refused a real one: "incorrect binary data format").
    pub fn bind(&mut self, a: impl Into<Arg>) -> &mut Self {
        let a = a.into();
        if matches!(a, Arg::I64(None) | Arg::F64(None) | Arg::Text(None)) {
            self.text.push_str("null");
            return self;
        }
        self.args.push(a);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }
    /// Appends `($a, $b, ...)` for a list of values.
    pub fn bind_list<T: Into<Arg> + Clone>(&mut self, items: &[T]) -> &mut Self {
        self.text.push('(');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(it.clone());
        }
        self.text.push(')');
        self
    }
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        bind_all(sqlx::query(&self.text), &self.args)
    }
}

pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    args: &[Arg],
) -> Query<'q, Any, AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I64(v) => q.bind(*v),
            Arg::F64(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.clone()),
        };
    }
    q
}
