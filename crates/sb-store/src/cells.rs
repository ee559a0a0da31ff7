//! Reading a column by position from either kind of row this crate handles: sqlx's
//! `AnyRow` and a rusqlite row (the SQLite hot path, [`crate::lite`]), so a row is
//! decoded into a domain type by one function whichever connection read it.

use crate::sql::Arg;
use crate::{Result, StoreError};
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
    /// How many columns the row has.
    fn width(&self) -> usize;
}

impl Cells for AnyRow {
    fn cell<T: Cell>(&self, i: usize) -> Result<T> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn width(&self) -> usize {
        sqlx::Row::len(self)
    }
}

impl Cells for rusqlite::Row<'_> {
    fn cell<T: Cell>(&self, i: usize) -> Result<T> {
        Ok(self.get(i)?)
    }
    fn width(&self) -> usize {
        self.as_ref().column_count()
    }
}

/// Reads a row's columns in the order of its select list: a decoder names no column
/// positions, so adding, removing or moving a column in the list means writing the
/// decoder in the same order, and [`Cursor::finish`] refuses a row that has columns the
/// decoder did not read (or fewer than it read). Works on both kinds of row.
pub(crate) struct Cursor<'r, R: ?Sized> {
    row: &'r R,
    at: usize,
}

impl<'r, R: Cells + ?Sized> Cursor<'r, R> {
    pub(crate) fn new(row: &'r R) -> Self {
        Cursor { row, at: 0 }
    }

    /// The next column.
    pub(crate) fn next<T: Cell>(&mut self) -> Result<T> {
        let v = self.row.cell(self.at)?;
        self.at += 1;
        Ok(v)
    }

    /// The next column, a 0/1 flag (booleans are integers on both backends).
    pub(crate) fn flag(&mut self) -> Result<bool> {
        Ok(self.next::<i64>()? != 0)
    }

    /// The next column, a text column holding one of an enum's names: `parse` gives the
    /// value, and a name it does not know is [`StoreError::Corrupt`], naming `column`.
    pub(crate) fn parse<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T> {
        let s: String = self.next()?;
        parse(&s).ok_or_else(|| StoreError::Corrupt(format!("{column}: {s:?}")))
    }

    /// [`Cursor::parse`] for a nullable column: NULL is `None`.
    pub(crate) fn parse_opt<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        let s: Option<String> = self.next()?;
        s.map(|s| parse(&s).ok_or_else(|| StoreError::Corrupt(format!("{column}: {s:?}"))))
            .transpose()
    }

    /// The next column, an integer code of an enum: [`Cursor::parse`] for enums stored
    /// as numbers.
    pub(crate) fn code<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(i64) -> Option<T>,
    ) -> Result<T> {
        let v: i64 = self.next()?;
        parse(v).ok_or_else(|| StoreError::Corrupt(format!("{column}: {v}")))
    }

    /// The next column, JSON text (`column` names it in the error).
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&mut self, column: &str) -> Result<T> {
        let s: String = self.next()?;
        serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
    }

    /// Ends the row: every column was read.
    pub(crate) fn finish(self) -> Result<()> {
        let width = self.row.width();
        if self.at == width {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!(
                "row of {width} columns decoded as {}",
                self.at
            )))
        }
    }
}

/// Decodes a whole row with `f` and checks that it read every column.
pub(crate) fn decode<R: Cells + ?Sized, T>(
    row: &R,
    f: impl FnOnce(&mut Cursor<'_, R>) -> Result<T>,
) -> Result<T> {
    let mut c = Cursor::new(row);
    let v = f(&mut c)?;
    c.finish()?;
    Ok(v)
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::decode;
    use crate::StoreError;

    /// Runs `sql` (one row) on an in-memory SQLite database and decodes it with `f`.
    fn one<T>(
        sql: &str,
        f: impl FnOnce(&mut super::Cursor<'_, rusqlite::Row<'_>>) -> crate::Result<T>,
    ) -> crate::Result<T> {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        let mut stmt = db.prepare(sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        let row = rows.next().unwrap().unwrap();
        decode(row, f)
    }

    fn colour(s: &str) -> Option<u8> {
        match s {
            "red" => Some(1),
            "blue" => Some(2),
            _ => None,
        }
    }

    #[test]
    fn nullable_enum_columns_read_null_as_none_and_refuse_unknown_names() {
        let got = one("select 'red', null", |c| {
            Ok((c.parse_opt("a", colour)?, c.parse_opt("b", colour)?))
        })
        .unwrap();
        assert_eq!(got, (Some(1), None));
        match one("select 'green'", |c| c.parse_opt("t.colour", colour)) {
            Err(StoreError::Corrupt(m)) => assert_eq!(m, "t.colour: \"green\""),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn integer_enum_columns_refuse_unknown_codes() {
        let two = |v: i64| (v == 2).then_some("two");
        assert_eq!(one("select 2", |c| c.code("t.kind", two)).unwrap(), "two");
        match one("select 3", |c| c.code("t.kind", two)) {
            Err(StoreError::Corrupt(m)) => assert_eq!(m, "t.kind: 3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_row_must_be_read_to_its_end() {
        assert!(one("select 1, 0", |c| Ok((c.flag()?, c.flag()?))).unwrap() == (true, false));
        assert!(matches!(
            one("select 1, 0", |c| c.flag()),
            Err(StoreError::Corrupt(_))
        ));
    }
}
