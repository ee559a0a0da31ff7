//! Errors as log lines: the whole cause chain on one line.

use std::fmt;

/// Displays an error followed by each of its causes, `outer: inner: root`, so a log line
/// says why and not only what (an error's own Display shows just its outermost layer).
/// Use it as `tracing::warn!(error = %Chain(&e), ...)`.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut last = self.0.to_string();
        let mut cause = self.0.source();
        while let Some(c) = cause {
            let text = c.to_string();
            // Transparent wrappers repeat their inner error's message: say it once.
            if !last.contains(&text) {
                write!(f, ": {text}")?;
            }
            last = text;
            cause = c.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Chain;

    #[derive(Debug, thiserror::Error)]
    #[error("writing the note")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn shows_every_cause() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(Chain(&e).to_string(), "writing the note: disk full");
    }
}
