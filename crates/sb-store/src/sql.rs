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
    /// The values bound so far, in `$N` order.
    pub fn args(&self) -> &[Arg] {
        &self.args
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

// ---------------------------------------------------------------------------------------
// Multi-row statements

/// How a backend takes large multi-row statements.
#[derive(Clone, Copy)]
pub(crate) struct BulkShape {
    /// Most binds in one statement.
    pub max_binds: usize,
    /// Anonymous `?` placeholders instead of `$N`.
    pub anonymous: bool,
}

/// sqlx's SQLite driver finds the index of every bind by asking SQLite for the
/// parameter's name (`sqlite3_bind_parameter_name`, a linear scan of the statement's
/// named parameters), so binding a statement with `$N` placeholders costs O(binds²): at
/// 250 cards (3,250 binds) per statement that alone took ~250 µs per card, and it still
/// took a quarter of the writer's time at 256 binds. Anonymous `?` placeholders have no
/// names, so binding is linear; they are numbered by position, which is exactly how
/// multi-row binds are written, and SQLite accepts them. PostgreSQL only takes `$N`;
/// there each statement is a network round trip, so statements stay large.
pub(crate) fn bulk_shape(c: &mut impl crate::db::DbConn) -> BulkShape {
    if c.raw().backend_name().eq_ignore_ascii_case("sqlite") {
        BulkShape {
            max_binds: 1024,
            anonymous: true,
        }
    } else {
        BulkShape {
            max_binds: 4096,
            anonymous: false,
        }
    }
}

/// Statement sizes for `n` rows: full statements of `max` rows, then the rest as powers
/// of two, so only a handful of distinct statement texts exist and each is prepared
/// once per connection (sqlx caches prepared statements by their text).
pub(crate) fn statement_sizes(n: usize, max: usize) -> Vec<usize> {
    let max = max.max(1);
    let mut sizes = vec![max; n / max];
    let mut rest = n % max;
    while rest > 0 {
        let p = 1 << (usize::BITS - 1 - rest.leading_zeros());
        sizes.push(p);
        rest -= p;
    }
    sizes
}

/// A row template of `cols` binds: `(?, ?, ?)`.
pub(crate) fn row_of(cols: usize) -> String {
    format!("({})", vec!["?"; cols].join(", "))
}

/// `prefix` followed by `rows` copies of `row` (a template whose `?` are binds, e.g.
/// `(?, ?, 0, ?)`), the binds numbered in order as `$N`, or left anonymous.
pub(crate) fn values_sql(prefix: &str, rows: usize, row: &str, anonymous: bool) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(prefix.len() + rows * (row.len() * 2 + 2));
    s.push_str(prefix);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        for ch in row.chars() {
            if ch == '?' && !anonymous {
                n += 1;
                let _ = write!(s, "${n}");
            } else {
                s.push(ch);
            }
        }
    }
    s
}

/// `(p, p, ...)` for an `in` list of `n` binds numbered from `first` (or anonymous).
pub(crate) fn in_list(n: usize, first: usize, anonymous: bool) -> String {
    let marks: Vec<String> = (0..n)
        .map(|i| {
            if anonymous {
                "?".to_string()
            } else {
                format!("${}", first + i)
            }
        })
        .collect();
    format!("({})", marks.join(", "))
}

/// Marks rows of `table` deleted (`is_deleted = 1`, with who and when); returns how
/// many were live. The rows stay: reads skip them.
pub(crate) async fn mark_deleted(
    c: &mut impl crate::db::DbConn,
    table: &str,
    account: sb_domain::AccountId,
    ids: &[i64],
    by: sb_domain::UserId,
    now: i64,
) -> crate::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new(&format!("update {table} set is_deleted = 1, updated_by = "));
    sql.bind(by.0)
        .push(", updated_at = ")
        .bind(now)
        .push(" where account_id = ")
        .bind(account.0)
        .push(" and is_deleted = 0 and id in ")
        .bind_list(ids);
    Ok(sql.query().execute(c.raw()).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    #[test]
    fn statement_sizes_cover_every_row_with_few_shapes() {
        assert_eq!(super::statement_sizes(0, 19), Vec::<usize>::new());
        assert_eq!(super::statement_sizes(45, 19), vec![19, 19, 4, 2, 1]);
        for n in 0..200 {
            let s = super::statement_sizes(n, 32);
            assert_eq!(s.iter().sum::<usize>(), n);
            assert!(s.iter().all(|&k| k == 32 || k.is_power_of_two()));
        }
    }

    #[test]
    fn values_sql_numbers_binds() {
        assert_eq!(
            super::values_sql("insert into t (a, b) values ", 2, &super::row_of(2), false),
            "insert into t (a, b) values ($1, $2), ($3, $4)"
        );
        assert_eq!(
            super::values_sql("values ", 2, "(?, 0, ?)", true),
            "values (?, 0, ?), (?, 0, ?)"
        );
        assert_eq!(super::in_list(3, 4, false), "($4, $5, $6)");
    }
}
