//! Reading a column by position from either kind of row this crate handles: sqlx's
//! `AnyRow` and a rusqlite row (the SQLite hot path, [`crate::lite`]), so a row is
//! decoded into a domain type by one function whichever connection read it.

use crate::sql::Arg;
use crate::Result;
use sqlx::any::AnyRow;
use sqlx::Any;

/// A value both drivers can decode.
pub(crate) trait Cell:
    for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}
impl<T> Cell for T where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

pub(crate) trait Cells {
    /// The value of column `i` (from 0).
    fn cell<T: Cell>(&self, i: usize) -> Result<T>;
}

impl Cells for AnyRow {
    fn cell<T: Cell>(&self, i: usize) -> Result<T> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
}

impl Cells for rusqlite::Row<'_> {
    fn cell<T: Cell>(&self, i: usize) -> Result<T> {
        Ok(self.get(i)?)
    }
}

impl rusqlite::ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Arg::I64(Some(v)) => ToSqlOutput::Owned(Value::Integer(*v)),
            Arg::F64(Some(v)) => ToSqlOutput::Owned(Value::Real(*v)),
            Arg::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::I64(None) | Arg::F64(None) | Arg::Text(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}
