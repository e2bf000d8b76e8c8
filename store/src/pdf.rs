//! Plain printable documents as PDF: a title, then headings, paragraphs and tables, laid out on
//! A4 pages in the PDF standard Helvetica (no font files), text wrapped to the page, tables
//! split across pages with their header repeated, and "page N of M" in each footer.
//!
//! Used for subject-access exports and meant for letters: build a [`Document`], call
//! [`Document::render`]. It decides layout only; what a document says belongs to its caller.
//!
//! Text is encoded in WinAnsi (Latin-1 plus typographic quotes, dashes, £ and €), the encoding
//! the standard 14 fonts have in every reader. Characters outside it (e.g. Welsh ŵ, ŷ) are
//! printed as their base letter, or `?` when there is none. Content streams are not compressed,
//! so the text stays searchable in the file itself (and the documents are small).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 50.0;
const MARGIN_TOP: f32 = 56.0;
const MARGIN_BOTTOM: f32 = 60.0;
const FOOTER_Y: f32 = 30.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const TITLE_SIZE: f32 = 18.0;
const HEADING_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 10.0;
const TABLE_SIZE: f32 = 8.5;
const FOOTER_SIZE: f32 = 8.0;
const CELL_PAD: f32 = 3.0;

/// One block of a document, in reading order.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    Heading(String),
    Para(String),
    Table(Table),
    PageBreak,
}

/// A table: a header row and body rows of text cells. Columns share the width in proportion
/// to their content; a cell that does not fit wraps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: vec![],
        }
    }

    /// Add a row; missing cells are blank and cells beyond the header are dropped.
    pub fn row<S: Into<String>>(mut self, cells: impl IntoIterator<Item = S>) -> Table {
        self.push(cells);
        self
    }

    /// The same as [`Table::row`] on a `&mut` (for loops).
    pub fn push<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A titled document. Build it, then [`render`](Document::render) it to PDF bytes.
///
/// ```
/// use rentdesk_store::pdf::{Document, Table};
/// let pdf = Document::new("Rent statement")
///     .heading("Account")
///     .para("Reference HD1001, 12 Bradford Road.")
///     .table(Table::new(["Date", "Amount"]).row(["2 Nov 2026", "£98.50"]))
///     .render();
/// assert!(pdf.starts_with(b"%PDF-"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    title: String,
    blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: impl Into<String>) -> Document {
        Document {
            title: title.into(),
            blocks: vec![],
        }
    }

    pub fn heading(mut self, text: impl Into<String>) -> Document {
        self.blocks.push(Block::Heading(text.into()));
        self
    }

    /// A paragraph; a `\n` inside starts a new line.
    pub fn para(mut self, text: impl Into<String>) -> Document {
        self.blocks.push(Block::Para(text.into()));
        self
    }

    pub fn table(mut self, table: Table) -> Document {
        self.blocks.push(Block::Table(table));
        self
    }

    /// What follows starts on a new page (e.g. the next tenant's copy of a letter).
    pub fn page_break(mut self) -> Document {
        self.blocks.push(Block::PageBreak);
        self
    }

    /// Lay the document out and write it as a PDF 1.7 file.
    pub fn render(&self) -> Vec<u8> {
        let pages = Layout::run(self);
        write_pdf(&self.title, &pages)
    }

    /// How many pages [`render`](Document::render) produces.
    pub fn page_count(&self) -> usize {
        Layout::run(self).len()
    }
}

// ---------------------------------------------------------------------------------------------
// Layout: blocks → pages of positioned text and rules.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        text: Vec<u8>,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
}

type Page = Vec<Op>;

struct Layout {
    pages: Vec<Page>,
    /// Baseline position for the next line's top edge (y grows upwards in PDF).
    y: f32,
}

impl Layout {
    fn run(doc: &Document) -> Vec<Page> {
        let mut l = Layout {
            pages: vec![vec![]],
            y: PAGE_H - MARGIN_TOP,
        };
        for line in wrap(&encode(&doc.title), Font::Bold, TITLE_SIZE, CONTENT_W) {
            l.text_line(MARGIN_X, line, Font::Bold, TITLE_SIZE, TITLE_SIZE * 1.25);
        }
        l.y -= 4.0;
        l.rule(MARGIN_X, PAGE_W - MARGIN_X, 0.8);
        l.y -= 10.0;
        for block in &doc.blocks {
            match block {
                Block::Heading(text) => l.heading(text),
                Block::Para(text) => l.para(text),
                Block::Table(t) => l.table(t),
                Block::PageBreak => l.new_page(),
            }
        }
        l.pages
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a layout always has a page")
    }

    fn new_page(&mut self) {
        self.pages.push(vec![]);
        self.y = PAGE_H - MARGIN_TOP;
    }

    /// Start a new page unless `height` still fits above the bottom margin.
    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN_BOTTOM && !self.page().is_empty() {
            self.new_page();
        }
    }

    fn text_line(&mut self, x: f32, text: Vec<u8>, font: Font, size: f32, leading: f32) {
        self.ensure(leading);
        self.y -= leading;
        let y = self.y + (leading - size) * 0.6;
        if !text.is_empty() {
            self.page().push(Op::Text {
                x,
                y,
                font,
                size,
                text,
            });
        }
    }

    fn rule(&mut self, x1: f32, x2: f32, width: f32) {
        let y = self.y;
        self.page().push(Op::Rule { x1, x2, y, width });
    }

    fn heading(&mut self, text: &str) {
        // Keep a heading with at least three lines of what follows it.
        self.ensure(HEADING_SIZE * 1.4 + 8.0 + 3.0 * BODY_SIZE * 1.35);
        self.y -= 8.0;
        for line in wrap(&encode(text), Font::Bold, HEADING_SIZE, CONTENT_W) {
            self.text_line(MARGIN_X, line, Font::Bold, HEADING_SIZE, HEADING_SIZE * 1.4);
        }
        self.y -= 2.0;
    }

    fn para(&mut self, text: &str) {
        for source_line in text.split('\n') {
            for line in wrap(&encode(source_line), Font::Regular, BODY_SIZE, CONTENT_W) {
                self.text_line(MARGIN_X, line, Font::Regular, BODY_SIZE, BODY_SIZE * 1.35);
            }
        }
        self.y -= 5.0;
    }

    fn table(&mut self, table: &Table) {
        let widths = column_widths(table);
        let leading = TABLE_SIZE * 1.3;
        let header: Vec<Vec<Vec<u8>>> = table
            .headers
            .iter()
            .zip(&widths)
            .map(|(h, w)| wrap(&encode(h), Font::Bold, TABLE_SIZE, w - 2.0 * CELL_PAD))
            .collect();
        let header_lines = header.iter().map(Vec::len).max().unwrap_or(1);
        let header_height = header_lines as f32 * leading + 2.0 * CELL_PAD;
        // A header alone at the foot of a page helps nobody: keep it with one row.
        self.ensure(header_height + leading + 2.0 * CELL_PAD);
        self.table_header(&header, &widths, leading);
        for row in &table.rows {
            let cells: Vec<Vec<Vec<u8>>> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| wrap(&encode(c), Font::Regular, TABLE_SIZE, w - 2.0 * CELL_PAD))
                .collect();
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let height = lines as f32 * leading + 2.0 * CELL_PAD;
            if self.y - height < MARGIN_BOTTOM {
                self.new_page();
                self.table_header(&header, &widths, leading);
            }
            self.table_row(&cells, &widths, Font::Regular, leading, lines);
            self.rule(MARGIN_X, MARGIN_X + widths.iter().sum::<f32>(), 0.25);
        }
        self.y -= 8.0;
    }

    fn table_header(&mut self, header: &[Vec<Vec<u8>>], widths: &[f32], leading: f32) {
        let lines = header.iter().map(Vec::len).max().unwrap_or(1).max(1);
        self.table_row(header, widths, Font::Bold, leading, lines);
        self.rule(MARGIN_X, MARGIN_X + widths.iter().sum::<f32>(), 0.8);
    }

    fn table_row(
        &mut self,
        cells: &[Vec<Vec<u8>>],
        widths: &[f32],
        font: Font,
        leading: f32,
        lines: usize,
    ) {
        let top = self.y - CELL_PAD;
        let mut x = MARGIN_X;
        for (cell, w) in cells.iter().zip(widths) {
            for (i, line) in cell.iter().enumerate() {
                let y = top - (i as f32 + 1.0) * leading + (leading - TABLE_SIZE) * 0.6;
                if !line.is_empty() {
                    self.page().push(Op::Text {
                        x: x + CELL_PAD,
                        y,
                        font,
                        size: TABLE_SIZE,
                        text: line.clone(),
                    });
                }
            }
            x += w;
        }
        self.y = top - lines as f32 * leading - CELL_PAD;
    }
}

/// Column widths filling the content width, in proportion to each column's widest text
/// (capped, so one long note does not starve the other columns), at least 40 pt each.
fn column_widths(table: &Table) -> Vec<f32> {
    let n = table.headers.len().max(1);
    let natural: Vec<f32> = (0..n)
        .map(|c| {
            let header = table
                .headers
                .get(c)
                .map(|h| longest_word(h, Font::Bold))
                .unwrap_or(0.0);
            let body = table
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|t| text_width(&encode(t), Font::Regular, TABLE_SIZE))
                .fold(0.0, f32::max);
            (header.max(body) + 2.0 * CELL_PAD).clamp(40.0, 220.0)
        })
        .collect();
    let total: f32 = natural.iter().sum();
    natural.iter().map(|w| w * CONTENT_W / total).collect()
}

fn longest_word(text: &str, font: Font) -> f32 {
    encode(text)
        .split(|b| *b == b' ')
        .map(|w| text_width(w, font, TABLE_SIZE))
        .fold(0.0, f32::max)
}

/// Greedy word wrap of WinAnsi text to `width` points; a word longer than a line is broken
/// between characters. Always at least one (possibly empty) line.
fn wrap(text: &[u8], font: Font, size: f32, width: f32) -> Vec<Vec<u8>> {
    let space = text_width(b" ", font, size);
    let mut lines: Vec<Vec<u8>> = vec![];
    let mut line: Vec<u8> = vec![];
    let mut line_w = 0.0;
    for word in text.split(|b| *b == b' ').filter(|w| !w.is_empty()) {
        let word_w = text_width(word, font, size);
        if !line.is_empty() && line_w + space + word_w <= width {
            line.push(b' ');
            line.extend_from_slice(word);
            line_w += space + word_w;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if word_w <= width {
            line.extend_from_slice(word);
            line_w = word_w;
            continue;
        }
        // Break an over-long word (a URL, a token) into pieces that fit.
        line_w = 0.0;
        for &b in word {
            let w = text_width(&[b], font, size);
            if line_w + w > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            line.push(b);
            line_w += w;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// Writing the PDF.

fn write_pdf(title: &str, pages: &[Page]) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Rentdesk"));

    let total = pages.len();
    let footer_title = encode(title);
    for (i, ops) in pages.iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut content = Content::new();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    font,
                    size,
                    text,
                } => {
                    content
                        .begin_text()
                        .set_font(font.name(), *size)
                        .next_line(*x, *y)
                        .show(Str(text))
                        .end_text();
                }
                Op::Rule { x1, x2, y, width } => {
                    content
                        .set_line_width(*width)
                        .move_to(*x1, *y)
                        .line_to(*x2, *y)
                        .stroke();
                }
            }
        }
        let folio = encode(&format!("Page {} of {}", i + 1, total));
        let folio_x = PAGE_W - MARGIN_X - text_width(&folio, Font::Regular, FOOTER_SIZE);
        let mut footer = footer_title.clone();
        footer.truncate(90);
        for (x, text) in [(MARGIN_X, footer), (folio_x, folio)] {
            content
                .begin_text()
                .set_font(Font::Regular.name(), FOOTER_SIZE)
                .next_line(x, FOOTER_Y)
                .show(Str(&text))
                .end_text();
        }
        let data = content.finish();
        let mut page = pdf.page(page_id);
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Font::Regular.name(), regular);
        fonts.pair(Font::Bold.name(), bold);
        fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &data);
    }
    pdf.finish()
}

// ---------------------------------------------------------------------------------------------
// WinAnsi encoding and Helvetica metrics (Adobe's AFM widths, 1/1000 em).

/// `text` in WinAnsiEncoding; see the module docs for what is not representable.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .map(|c| match c {
            '\t' => b' ',
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'ŵ' => b'w',
            'Ŵ' => b'W',
            'ŷ' => b'y',
            'Ŷ' => b'Y',
            'ẁ' | 'ẃ' | 'ẅ' => b'w',
            'Ẁ' | 'Ẃ' | 'Ẅ' => b'W',
            'ỳ' => b'y',
            'Ỳ' => b'Y',
            _ => b'?',
        })
        .collect()
}

const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
    278, 278, 584, 584, 584, 556, 1015, // ':'..'@'
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A-M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N-Z
    278, 278, 278, 469, 556, 333, // '['..'`'
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a-m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n-z
    334, 260, 334, 584, // '{'..'~'
];

const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278,
    278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
    333, 333, 584, 584, 584, 611, 975, // ':'..'@'
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, // A-M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N-Z
    333, 278, 333, 584, 556, 333, // '['..'`'
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, // a-m
    611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, // n-z
    389, 280, 389, 584, // '{'..'~'
];

fn glyph_width(b: u8, font: Font) -> u16 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    match b {
        32..=126 => table[(b - 32) as usize],
        0x97 => 1000,
        0x85 => 1000,
        0x91 | 0x92 | 0x82 => 278,
        0x93 | 0x94 | 0x84 => 500,
        0x95 => 350,
        // Latin-1 letters and signs: wide enough for any of them, so a line never overflows.
        _ => 722,
    }
}

fn text_width(text: &[u8], font: Font, size: f32) -> f32 {
    text.iter()
        .map(|b| glyph_width(*b, font) as f32)
        .sum::<f32>()
        * size
        / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strings shown, in order, one per line: decoded from the uncompressed content
    /// streams, where each `(literal) Tj` or `<hex> Tj` is on a line of its own.
    fn shown_text(pdf: &[u8]) -> String {
        let mut out = String::new();
        for line in pdf.split(|b| *b == b'\n') {
            let Some(operand) = line.strip_suffix(b" Tj") else {
                continue;
            };
            let text: String = if let Some(hex) = operand
                .strip_prefix(b"<")
                .and_then(|o| o.strip_suffix(b">"))
            {
                hex.chunks(2)
                    .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
                    .map(|b| if b == 0xa3 { '£' } else { b as char })
                    .collect()
            } else {
                let inner = &operand[1..operand.len() - 1];
                let mut text = String::new();
                let mut escaped = false;
                for &b in inner {
                    if escaped || b != b'\\' {
                        text.push(b as char);
                        escaped = false;
                    } else {
                        escaped = true;
                    }
                }
                text
            };
            out.push_str(&text);
            out.push('\n');
        }
        out
    }

    fn page_objects(pdf: &[u8]) -> usize {
        String::from_utf8_lossy(pdf)
            .matches("/Type /Page\n")
            .count()
            .max(String::from_utf8_lossy(pdf).matches("/Type /Page ").count())
    }

    #[test]
    fn a_short_document_is_one_page_pdf_with_its_text_extractable() {
        let doc = Document::new("Subject access export: HD1001")
            .heading("Account")
            .para("Karen Haigh (lead tenant), 12 Bradford Road, Huddersfield HD1 6LJ.")
            .table(
                Table::new(["Date", "Kind", "Amount"])
                    .row(["2026-11-02", "rent_debit", "£98.50"])
                    .row(["2026-11-03", "payment", "-£98.50"]),
            );
        assert_eq!(doc.page_count(), 1);
        let pdf = doc.render();
        assert!(pdf.starts_with(b"%PDF-1."), "a PDF header");
        assert!(pdf.ends_with(b"%%EOF\n") || pdf.ends_with(b"%%EOF"));
        let text = shown_text(&pdf);
        for s in [
            "Subject access export: HD1001",
            "Account",
            "Karen Haigh (lead tenant), 12 Bradford Road, Huddersfield HD1 6LJ.",
            "rent_debit",
            "£98.50",
            "Page 1 of 1",
        ] {
            assert!(text.contains(s), "{s:?} in {text}");
        }
        assert!(String::from_utf8_lossy(&pdf).contains("/BaseFont /Helvetica"));
        assert_eq!(page_objects(&pdf), 1);
    }

    #[test]
    fn long_input_runs_onto_numbered_pages_and_repeats_table_headers() {
        let mut table = Table::new(["Date", "Description", "Amount"]);
        for i in 0..300 {
            table.push([
                format!("2026-01-{:02}", i % 28 + 1),
                format!("Line {i}"),
                format!("£{i}.00"),
            ]);
        }
        let doc = Document::new("Ledger").table(table);
        let pages = doc.page_count();
        assert!(pages >= 4, "300 rows take several pages, got {pages}");
        let pdf = doc.render();
        assert_eq!(page_objects(&pdf), pages);
        let text = shown_text(&pdf);
        assert!(text.contains(&format!("Page {pages} of {pages}")));
        assert!(text.contains("Line 0\n") && text.contains("Line 299\n"));
        assert_eq!(
            text.matches("Description\n").count(),
            pages,
            "the header row on every page"
        );
    }

    #[test]
    fn paragraphs_wrap_within_the_margins() {
        let words = "arrears ".repeat(400);
        let doc = Document::new("Wrap").para(words.trim());
        let pages = Layout::run(&doc);
        let mut lines = 0;
        for op in pages.iter().flatten() {
            if let Op::Text {
                x,
                font,
                size,
                text,
                ..
            } = op
            {
                assert!(x + text_width(text, *font, *size) <= PAGE_W - MARGIN_X + 0.01);
                lines += 1;
            }
        }
        assert!(lines > 20, "wrapped onto many lines: {lines}");
        // A single unbreakable word is broken rather than running off the page.
        let long = "x".repeat(500);
        let wrapped = wrap(&encode(&long), Font::Regular, BODY_SIZE, 100.0);
        assert!(wrapped.len() > 5);
        assert!(
            wrapped
                .iter()
                .all(|l| text_width(l, Font::Regular, BODY_SIZE) <= 100.0)
        );
    }

    #[test]
    fn text_is_encoded_in_winansi() {
        assert_eq!(
            encode("£5 – ok"),
            vec![0xa3, b'5', b' ', 0x96, b' ', b'o', b'k']
        );
        assert_eq!(encode("Dŵr"), b"Dwr".to_vec());
        assert_eq!(encode("日"), b"?".to_vec());
        assert_eq!(encode("a\nb"), b"ab".to_vec());
        // Parentheses survive as literal string escapes.
        let pdf = Document::new("T").para("(a) and b)").render();
        assert!(shown_text(&pdf).contains("(a) and b)"));
    }

    #[test]
    fn an_empty_table_still_prints_its_header() {
        let pdf = Document::new("T")
            .table(Table::new(["Only", "Header"]))
            .render();
        assert!(shown_text(&pdf).contains("Header"));
    }
}
