//! A letter as blocks: headings, paragraphs and tables, and its plain-text rendering. The
//! templates ([`super::templates`]) produce blocks; [`super::compose`] fills them with an
//! account's figures.

/// What a letter says, block by block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Para(String),
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Letter {
    /// All the words, for tests and search.
    pub fn text(&self) -> String {
        let mut out = self.title.clone();
        for b in &self.blocks {
            out.push('\n');
            match b {
                Block::Heading(t) | Block::Para(t) => out.push_str(t),
                Block::Table { headers, rows } => {
                    out.push_str(&headers.join(" | "));
                    for r in rows {
                        out.push('\n');
                        out.push_str(&r.join(" | "));
                    }
                }
            }
        }
        out
    }
}
