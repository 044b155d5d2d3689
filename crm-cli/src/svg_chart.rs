//! The SVG chart of a forecast: a horizontal bar pair per group (amount and weighted amount) with labels,
//! values and a legend, built with the `svg` crate (which escapes text and attribute values). Bar
//! lengths come from [`chart::scaled`](crate::chart::scaled) (exact decimals, whole pixels).

use crate::chart::{Bar, largest, scaled};
use svg::Document;
use svg::node::element::{Rectangle, Text, Title};

const LABEL: u32 = 200;
const PLOT: u32 = 480;
const VALUES: u32 = 140;
const ROW: u32 = 44;
const TOP: u32 = 70;
const AMOUNT: &str = "#3b6fb6";
const WEIGHTED: &str = "#e8913a";

fn text(x: u32, y: u32, content: &str) -> Text {
    Text::new(content).set("x", x).set("y", y).set("font-family", "sans-serif").set("font-size", 13)
}

/// The chart of `bars` titled `title`, as an SVG document.
pub(crate) fn render(title: &str, bars: &[Bar]) -> String {
    let width = LABEL + PLOT + VALUES;
    let height = TOP + ROW * u32::try_from(bars.len()).unwrap_or(u32::MAX / ROW / 2).max(1) + 20;
    let max = largest(bars);
    let mut doc = Document::new()
        .set("xmlns", "http://www.w3.org/2000/svg")
        .set("width", width)
        .set("height", height)
        .set("viewBox", (0, 0, width, height))
        .add(Title::new(title))
        .add(Rectangle::new().set("width", width).set("height", height).set("fill", "white"))
        .add(text(10, 24, title).set("font-size", 18).set("font-weight", "bold"))
        .add(Rectangle::new().set("x", LABEL).set("y", 38).set("width", 12).set("height", 12).set("fill", AMOUNT))
        .add(text(LABEL + 18, 49, "amount"))
        .add(Rectangle::new().set("x", LABEL + 100).set("y", 38).set("width", 12).set("height", 12).set("fill", WEIGHTED))
        .add(text(LABEL + 118, 49, "weighted amount"));
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + ROW * u32::try_from(i).unwrap_or(0);
        let label = if b.label.is_empty() { "(none)" } else { b.label.as_str() };
        let a = scaled(b.amount, max, PLOT - 10);
        let w = scaled(b.weighted, max, PLOT - 10);
        doc = doc
            .add(text(10, y + 22, label).set("class", "label"))
            .add(Rectangle::new().set("class", "amount").set("x", LABEL).set("y", y).set("width", a).set("height", 16).set("fill", AMOUNT))
            .add(
                Rectangle::new()
                    .set("class", "weighted")
                    .set("x", LABEL)
                    .set("y", y + 18)
                    .set("width", w)
                    .set("height", 16)
                    .set("fill", WEIGHTED),
            )
            .add(text(LABEL + a + 6, y + 13, &b.amount.to_string()))
            .add(text(LABEL + w + 6, y + 31, &b.weighted.to_string()));
    }
    doc.to_string()
}
