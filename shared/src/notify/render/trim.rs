//! How much of the long parts a rendering keeps. [`super::super::publish`] renders with
//! [`Trim::FULL`] first and, while the publish is over SNS's limit, with each of
//! [`Trim::STEPS`] in turn: the `depends_on` list first, then SFMC's words, then the name.

/// Limits on the parts of a notification that can be long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trim {
    /// `depends_on` entries listed; the others are counted ("... and 212 more").
    pub depends_on_max: usize,
    /// Characters kept of each `depends_on` entry.
    pub depends_on_chars: usize,
    /// Characters kept of SFMC's (sanitized) words.
    pub words_chars: usize,
    /// Characters kept of the integration's name.
    pub name_chars: usize,
    /// Characters kept of the runbook link (a cut link is marked, never silently wrong).
    pub runbook_chars: usize,
}

impl Trim {
    /// Everything, each part at the inventory's own limit.
    pub const FULL: Trim = Trim {
        depends_on_max: usize::MAX,
        depends_on_chars: 200,
        words_chars: 2_000,
        name_chars: 200,
        runbook_chars: 2_048,
    };

    /// The shortening steps, in order: fewer `depends_on` entries, then shorter SFMC words,
    /// then a shorter name and runbook. The last step bounds every part.
    pub const STEPS: [Trim; 4] = [
        Trim {
            depends_on_max: 50,
            ..Trim::FULL
        },
        Trim {
            depends_on_max: 10,
            depends_on_chars: 80,
            ..Trim::FULL
        },
        Trim {
            depends_on_max: 3,
            depends_on_chars: 80,
            words_chars: 200,
            ..Trim::FULL
        },
        Trim {
            depends_on_max: 0,
            depends_on_chars: 80,
            words_chars: 100,
            name_chars: 80,
            runbook_chars: 300,
        },
    ];
}

/// `items` joined with `; `, at most `max` of them, each cut to `chars` characters, and
/// `... and N more` for the rest. Empty when `items` is.
pub fn listed(items: &[String], max: usize, chars: usize) -> String {
    use crate::text::printable::{cap, escape};
    let shown: Vec<String> = items
        .iter()
        .take(max)
        .map(|item| cap(&escape(item.trim()), chars).into_owned())
        .collect();
    let rest = items.len() - shown.len();
    match (shown.is_empty(), rest) {
        (_, 0) => shown.join("; "),
        (true, n) => format!("{n} entries (see the inventory)"),
        (false, n) => format!("{} ... and {n} more", shown.join("; ")),
    }
}

/// `text` cut to `chars` characters, saying so.
pub fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        None => text.to_string(),
        Some((at, _)) => format!("{}... (shortened)", &text[..at]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_say_how_many_were_left_out() {
        let items: Vec<String> = (1..=5).map(|i| format!("job {i}")).collect();
        assert_eq!(
            listed(&items, usize::MAX, 200),
            "job 1; job 2; job 3; job 4; job 5"
        );
        assert_eq!(listed(&items, 2, 200), "job 1; job 2 ... and 3 more");
        assert_eq!(listed(&items, 0, 200), "5 entries (see the inventory)");
        assert_eq!(listed(&[], 0, 200), "");
        assert_eq!(listed(&["abcdef".to_string()], 5, 3), "abc…");
        assert_eq!(listed(&["a\nb".to_string()], 5, 30), "a\\nb");
    }

    #[test]
    fn cut_text_is_marked() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc... (shortened)");
    }

    #[test]
    fn the_steps_shorten_in_the_documented_order() {
        // (depends_on entries, chars per entry, SFMC words, name, runbook) per step.
        let table: Vec<(usize, usize, usize, usize, usize)> = Trim::STEPS
            .iter()
            .map(|t| {
                (
                    t.depends_on_max,
                    t.depends_on_chars,
                    t.words_chars,
                    t.name_chars,
                    t.runbook_chars,
                )
            })
            .collect();
        assert_eq!(
            table,
            vec![
                (50, 200, 2_000, 200, 2_048),
                (10, 80, 2_000, 200, 2_048),
                (3, 80, 200, 200, 2_048),
                (0, 80, 100, 80, 300),
            ]
        );
    }

    #[test]
    fn every_step_is_no_longer_than_the_one_before() {
        let mut previous = Trim::FULL;
        for step in Trim::STEPS {
            assert!(step.depends_on_max <= previous.depends_on_max);
            assert!(step.depends_on_chars <= previous.depends_on_chars);
            assert!(step.words_chars <= previous.words_chars);
            assert!(step.name_chars <= previous.name_chars);
            assert!(step.runbook_chars <= previous.runbook_chars);
            assert_ne!(step, previous);
            previous = step;
        }
    }
}
