//! Knowledge article (ISO 20000 8.6.1 and 8.6.3: the knowledge that restores a service and
//! resolves incidents): a symptom, its cause and the steps that fix it, for the services and
//! CIs it concerns. Published articles are read on every device, offline, searched from any
//! incident and suggested from the incident's own words; a technician cites the one followed
//! in the incident's work log.

use super::journal::JOURNAL;
use crate::model::{
    self as m, Facts, Field as F, FormField, Lookup, Record, RecordError, Section, Shape as S,
};
use crate::workflow::WorkflowError;

pub const ARTICLE_STATUSES: m::Choices = m::Choices::new(&[
    ("draft", "Draft"),
    ("published", "Published"),
    ("retired", "Retired"),
]);

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("title", S::Text),
    F::new("symptom", S::LongText),
    F::new("cause", S::LongText),
    // The resolution, one step per line.
    F::new("steps", S::List(&S::Text)),
    F::new("services", S::List(&S::Reference("service"))),
    F::new("cis", S::List(&S::Reference("configuration_item"))),
    F::new("status", S::Choice(&ARTICLE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a knowledge article",
    statuses: ARTICLE_STATUSES.options,
    moves: &[
        ("draft", &["published", "retired"]),
        ("published", &["draft", "retired"]),
        ("retired", &["published"]),
    ],
    finished: &[],
    reasons: &[("retired", "why it no longer applies")],
};

/// An article nobody can act on is not published: it needs the symptom it answers and the
/// steps that fix it.
fn rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
    if to == "published" && (r.str("symptom").trim().is_empty() || r.list("steps").is_empty()) {
        return Err(WorkflowError::Missing {
            what: "a symptom and the steps that resolve it",
            noun: "a knowledge article",
            status: "published".into(),
        });
    }
    Ok(())
}

pub static KNOWLEDGE_ARTICLE: m::RecordType = m::RecordType {
    kind: "knowledge_article",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "KB",
    noun: "knowledge article",
    plural: "Knowledge articles",
    area: m::Area::ServiceDesk,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Knowledge article drafted",
    form: &[
        FormField::new("title", "Title").required(),
        FormField::new("symptom", "Symptom (what people see)"),
        FormField::new("cause", "Cause"),
        FormField::new("steps", "Resolution (one step per line)"),
        FormField::new("services", "Services (one number per line)"),
        FormField::new("cis", "Configuration items (one number per line)"),
    ],
    sections: |r| {
        let steps = r
            .list("steps")
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, s.as_str()));
        vec![Section::text("Resolution", steps)]
    },
    title: |r| r.str("title").to_string(),
    // Knowledge is needed where the work is, with or without a network.
    on_every_device: true,
    ..m::RecordType::BASE
};

/// The work-log line of an incident that followed article `number`: "Followed knowledge
/// article KB-…: title". Only a published article is cited (a draft may be wrong, a retired
/// one no longer applies).
pub fn citation(lookup: &dyn Lookup, number: &str) -> Result<String, RecordError> {
    let field = "Knowledge article";
    let article = super::other(lookup, number, &KNOWLEDGE_ARTICLE, field)?;
    match article.status() {
        "published" => Ok(format!(
            "Followed knowledge article {}: {}",
            article.number(),
            article.str("title")
        )),
        status => Err(RecordError::invalid(
            field,
            format!(
                "{number} is {}: only a published article is cited",
                LIFECYCLE.label(status).to_lowercase()
            ),
        )),
    }
}

/// A knowledge article as the incident page searches it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Article {
    pub number: String,
    pub title: String,
    pub symptom: String,
    pub cause: String,
    pub steps: Vec<String>,
    pub published: bool,
}

impl Article {
    pub fn of(r: &Record) -> Self {
        Article {
            number: r.number().into(),
            title: r.str("title").into(),
            symptom: r.str("symptom").into(),
            cause: r.str("cause").into(),
            steps: r
                .list("steps")
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            published: r.status() == "published",
        }
    }

    /// The lower-case text searched and matched.
    fn text(&self) -> String {
        [&self.title, &self.symptom, &self.cause]
            .into_iter()
            .chain(&self.steps)
            .map(|s| s.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The published articles in which every word of `query` occurs (case-insensitive).
pub fn search<'a>(articles: &'a [Article], query: &str) -> Vec<&'a Article> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return vec![];
    }
    articles
        .iter()
        .filter(|a| a.published)
        .filter(|a| {
            let text = a.text();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .collect()
}

/// How many suggestions an incident shows.
pub const SUGGESTIONS: usize = 5;

/// Words too common to say what an incident is about.
const COMMON: &[&str] = &[
    "the", "and", "for", "with", "from", "that", "this", "not", "does", "doesn", "cannot", "can",
    "will", "when", "after", "again", "there", "their", "have", "has", "was", "were", "are", "but",
    "all", "any", "our", "your", "its", "into", "out", "since", "still", "please", "help", "issue",
    "problem", "error", "working", "work", "works",
];

/// The words of `text` that say what it is about: three letters or more, not common.
fn telling_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !COMMON.contains(&w.as_str()))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// The published articles an incident's `text` (its title and description) suggests: those
/// sharing the most telling words with it, best first (ties by number, so every device lists
/// the same), at most [`SUGGESTIONS`].
pub fn suggest<'a>(articles: &'a [Article], text: &str) -> Vec<&'a Article> {
    let words = telling_words(text);
    if words.is_empty() {
        return vec![];
    }
    let mut scored: Vec<(usize, &Article)> = articles
        .iter()
        .filter(|a| a.published)
        .map(|a| {
            let own = telling_words(&a.text());
            (words.iter().filter(|w| own.contains(w)).count(), a)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|(sa, a), (sb, b)| sb.cmp(sa).then_with(|| a.number.cmp(&b.number)));
    scored
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, a)| a)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(number: &str, title: &str, symptom: &str, published: bool) -> Article {
        Article {
            number: number.into(),
            title: title.into(),
            symptom: symptom.into(),
            steps: vec!["Open the cover".into()],
            published,
            ..Article::default()
        }
    }

    #[test]
    fn an_incident_suggests_the_published_articles_sharing_its_words_best_first() {
        let articles = [
            article(
                "KB-3",
                "Printer prints blank receipts",
                "Receipts come out blank",
                true,
            ),
            article(
                "KB-1",
                "Receipt printer jams",
                "Paper jams in the printer",
                true,
            ),
            article("KB-2", "Printer jams (old)", "Paper jams", false),
            article("KB-4", "VPN drops", "The tunnel drops every hour", true),
        ];
        let found = suggest(&articles, "The receipt printer jams again, please help");
        let numbers: Vec<&str> = found.iter().map(|a| a.number.as_str()).collect();
        // KB-1 shares receipt, printer, jams; KB-3 printer only ("receipts" is another word);
        // the draft and the unrelated one are not suggested.
        assert_eq!(numbers, ["KB-1", "KB-3"]);
        assert!(suggest(&articles, "the and please help").is_empty());
    }

    #[test]
    fn search_needs_every_word_and_finds_only_published_articles() {
        let articles = [
            article("KB-1", "Receipt printer jams", "Paper jams", true),
            article("KB-2", "Receipt printer jams", "Paper jams", false),
        ];
        let numbers = |q| -> Vec<String> {
            search(&articles, q)
                .iter()
                .map(|a| a.number.clone())
                .collect()
        };
        assert_eq!(numbers("PRINTER paper"), ["KB-1"]);
        assert!(numbers("printer vpn").is_empty());
        assert!(numbers("  ").is_empty());
    }
}
