//! One page of a list, as every list use case answers it. Its own module (not
//! `cards.rs`, where it began) so that the resources that page need not import cards.

pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub limit: i64,
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Page `page` (from 1) of `limit` items of a list that is read whole (users,
    /// catalogs, field definitions: few, and kept in one query).
    pub fn of_all(all: Vec<T>, page: i64, limit: i64) -> Page<T> {
        let page = page.max(1);
        let limit = limit.max(1);
        let start = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
        let len = usize::try_from(limit).unwrap_or(usize::MAX);
        let has_next = all.len() > start.saturating_add(len);
        Page {
            items: all.into_iter().skip(start).take(len).collect(),
            page,
            limit,
            has_next,
        }
    }

    /// The same page with its items rendered by `f`.
    pub fn map<U>(&self, f: impl FnMut(&T) -> U) -> Page<U> {
        Page {
            items: self.items.iter().map(f).collect(),
            page: self.page,
            limit: self.limit,
            has_next: self.has_next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn of_all_cuts_pages_and_says_whether_another_follows() {
        let p = Page::of_all((1..=5).collect::<Vec<i32>>(), 2, 2);
        assert_eq!((p.items, p.has_next), (vec![3, 4], true));
        let p = Page::of_all((1..=4).collect::<Vec<i32>>(), 2, 2);
        assert_eq!((p.items, p.has_next), (vec![3, 4], false));
        let p = Page::of_all((1..=4).collect::<Vec<i32>>(), 9, 2);
        assert!(p.items.is_empty() && !p.has_next);
    }
}
