//! A [`Report`] as Markdown (tables to paste into a design doc, charts as PNG links) and as one
//! self-contained HTML page (inline SVG and CSS, nothing fetched, readable offline).

use std::fmt::Write as _;

use super::{Block, Report};

/// `report.md`.
pub fn markdown(report: &Report) -> String {
    let mut o = format!("# {}\n", report.title);
    if !report.warnings.is_empty() {
        let _ = write!(o, "\n**Warning: parts of this folder look damaged and were left out:**\n\n");
        for w in &report.warnings {
            let _ = writeln!(o, "- {w}");
        }
    }
    for block in &report.blocks {
        match block {
            Block::Verdict(sentences) => {
                let _ = write!(o, "\n## Verdict\n\n");
                for s in sentences {
                    let _ = writeln!(o, "- {s}");
                }
            }
            Block::Heading(h) => {
                let _ = write!(o, "\n## {h}\n");
            }
            Block::Text(t) => {
                let _ = write!(o, "\n{t}\n");
            }
            Block::Table(header, rows) => {
                let cell = |s: &String| s.replace('|', "\\|");
                let _ = write!(o, "\n| {} |\n", header.iter().map(cell).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(o, "|{}", header.iter().map(|_| "---|").collect::<String>());
                for row in rows {
                    let _ = writeln!(o, "| {} |", row.iter().map(cell).collect::<Vec<_>>().join(" | "));
                }
            }
            Block::Chart(name, figure, _) => {
                let _ = write!(o, "\n![{}](charts/{name}.png)\n", figure.title());
            }
        }
    }
    o
}

/// `report.html`: `svgs` holds the rendered SVG of each chart by name.
pub fn html(report: &Report, svgs: &[(String, String)]) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        escape(&report.title),
        escape(&report.title)
    );
    if !report.warnings.is_empty() {
        o.push_str(
            "<div class=\"warning\"><strong>Parts of this folder look damaged and were left out:</strong>\n<ul>\n",
        );
        for w in &report.warnings {
            let _ = writeln!(o, "<li>{}</li>", escape(w));
        }
        o.push_str("</ul></div>\n");
    }
    for block in &report.blocks {
        match block {
            Block::Verdict(sentences) => {
                o.push_str("<section class=\"verdict\">\n<h2>Verdict</h2>\n<ul>\n");
                for s in sentences {
                    let _ = writeln!(o, "<li>{}</li>", escape(s));
                }
                o.push_str("</ul>\n</section>\n");
            }
            Block::Heading(h) => {
                let _ = writeln!(o, "<h2>{}</h2>", escape(h));
            }
            Block::Text(t) => {
                let _ = writeln!(o, "<p>{}</p>", escape(t));
            }
            Block::Table(header, rows) => {
                o.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
                for h in header {
                    let _ = write!(o, "<th>{}</th>", escape(h));
                }
                o.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    o.push_str("<tr>");
                    for c in row {
                        // Figures and short words stay on one line (the table scrolls instead).
                        let class = if c.chars().count() <= 40 { " class=\"n\"" } else { "" };
                        let _ = write!(o, "<td{class}>{}</td>", escape(c));
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</tbody></table></div>\n");
            }
            Block::Chart(name, figure, _) => {
                let svg = svgs.iter().find(|(n, _)| n == name).map(|(_, s)| s.as_str()).unwrap_or("");
                let _ = writeln!(
                    o,
                    "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
                    escape(name),
                    strip_xml_declaration(svg),
                    escape(&figure.title())
                );
            }
        }
    }
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

const CSS: &str = "body { font-family: 'DejaVu Sans', Verdana, sans-serif; color: #111; background: #fff; margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eee; } tr:nth-child(even) td { background: #f7f7f7; } td.n { white-space: nowrap; }
.scroll { overflow-x: auto; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.85rem; color: #444; }
.verdict { background: #eef5fb; border-left: 5px solid #0072b2; padding: 0.2rem 1rem 0.4rem; margin: 1rem 0; }
.verdict h2 { border: none; margin-top: 0.6rem; } .verdict li { margin: 0.35rem 0; line-height: 1.4; }
.warning { background: #fdf0e6; border-left: 5px solid #d55e00; padding: 0.4rem 1rem; margin: 1rem 0; }
";

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// Text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
