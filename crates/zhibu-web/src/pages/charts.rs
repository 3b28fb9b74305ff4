//! Geometry of the dashboard's charts. The SVG itself is written by the dashboard template, which
//! escapes every text; this module only computes positions, colours and labels.

/// The heat map: one row per branch, one column per month.
pub struct HeatMap {
    pub width: u32,
    pub height: u32,
    pub grid_x: u32,
    pub grid_width: u32,
    pub cell_width: u32,
    pub cell_height: u32,
    pub months: Vec<AxisLabel>,
    pub rows: Vec<HeatRow>,
}

pub struct AxisLabel {
    pub x: u32,
    pub label: String,
}

pub struct HeatRow {
    pub y: u32,
    pub text_y: u32,
    pub name: String,
    pub href: String,
    /// Only the months with findings; the empty months are the row's background.
    pub cells: Vec<HeatCell>,
}

pub struct HeatCell {
    pub x: u32,
    pub text_x: u32,
    pub class: &'static str,
    pub count: usize,
    pub href: String,
    pub title: String,
}

/// One branch's row before layout.
pub struct HeatInput {
    pub name: String,
    pub href: String,
    /// Open findings per month, January first, with each cell's link and tooltip.
    pub months: [(usize, String, String); 12],
}

const LABEL_WIDTH: u32 = 230;
const CELL_WIDTH: u32 = 38;
const CELL_HEIGHT: u32 = 18;
const ROW_GAP: u32 = 2;
const HEADER: u32 = 22;

/// The colour class of a count: a few steps, so that the colour says "none, one, a few, many" and
/// the number in the cell says exactly how many.
pub fn heat_class(count: usize) -> &'static str {
    match count {
        0 => "h0",
        1 => "h1",
        2 => "h2",
        3..=4 => "h3",
        _ => "h4",
    }
}

/// The legend: each colour step with the counts it stands for.
pub fn heat_scale() -> Vec<(&'static str, &'static str)> {
    vec![
        ("h0", "0"),
        ("h1", "1"),
        ("h2", "2"),
        ("h3", "3–4"),
        ("h4", "5+"),
    ]
}

pub fn heat_map(rows: Vec<HeatInput>, month_labels: &[String]) -> HeatMap {
    let grid_x = LABEL_WIDTH;
    let months = month_labels
        .iter()
        .enumerate()
        .map(|(index, label)| AxisLabel {
            x: grid_x + index as u32 * CELL_WIDTH + CELL_WIDTH / 2,
            label: label.clone(),
        })
        .collect();
    let rows: Vec<HeatRow> = rows
        .into_iter()
        .enumerate()
        .map(|(index, input)| {
            let y = HEADER + index as u32 * (CELL_HEIGHT + ROW_GAP);
            let cells = input
                .months
                .into_iter()
                .enumerate()
                .filter(|(_, (count, _, _))| *count > 0)
                .map(|(month, (count, href, title))| {
                    let x = grid_x + month as u32 * CELL_WIDTH;
                    HeatCell {
                        x: x + 1,
                        text_x: x + CELL_WIDTH / 2,
                        class: heat_class(count),
                        count,
                        href,
                        title,
                    }
                })
                .collect();
            HeatRow {
                y,
                text_y: y + CELL_HEIGHT - 5,
                name: truncate(&input.name, 17),
                href: input.href,
                cells,
            }
        })
        .collect();
    let height = HEADER + rows.len() as u32 * (CELL_HEIGHT + ROW_GAP) + 4;
    HeatMap {
        width: grid_x + 12 * CELL_WIDTH + 4,
        height,
        grid_x,
        grid_width: 12 * CELL_WIDTH,
        cell_width: CELL_WIDTH - 2,
        cell_height: CELL_HEIGHT,
        months,
        rows,
    }
}

/// Shortens a long name for the row label; the whole name stays in the cells' tooltips.
fn truncate(name: &str, max_chars: usize) -> String {
    if name.chars().count() <= max_chars {
        name.to_string()
    } else {
        let mut short: String = name.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}

/// The trend: one bar per month.
pub struct Trend {
    pub width: u32,
    pub height: u32,
    pub baseline: u32,
    pub label_y: u32,
    pub bar_width: u32,
    pub bars: Vec<TrendBar>,
}

pub struct TrendBar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub center: u32,
    pub value_y: u32,
    pub count: usize,
    pub label: String,
    pub title: String,
    pub href: String,
}

const TREND_WIDTH: u32 = 420;
const TREND_PLOT: u32 = 150;
const TREND_TOP: u32 = 18;

/// `months` holds each month's count, label, tooltip and link, January first.
pub fn trend(months: Vec<(usize, String, String, String)>) -> Trend {
    let slot = TREND_WIDTH / 12;
    let bar_width = slot - 10;
    let baseline = TREND_TOP + TREND_PLOT;
    let maximum = months
        .iter()
        .map(|(count, ..)| *count)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars = months
        .into_iter()
        .enumerate()
        .map(|(index, (count, label, title, href))| {
            let height = (count as u64 * u64::from(TREND_PLOT) / maximum as u64) as u32;
            let x = index as u32 * slot + 5;
            TrendBar {
                x,
                y: baseline - height,
                height,
                center: x + bar_width / 2,
                value_y: baseline - height - 4,
                count,
                label,
                title,
                href,
            }
        })
        .collect();
    Trend {
        width: TREND_WIDTH,
        height: baseline + 22,
        baseline,
        label_y: baseline + 16,
        bar_width,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_steps_follow_the_counts() {
        let classes: Vec<&str> = [0, 1, 2, 3, 4, 5, 40].into_iter().map(heat_class).collect();
        assert_eq!(classes, ["h0", "h1", "h2", "h3", "h3", "h4", "h4"]);
    }

    #[test]
    fn the_tallest_bar_fills_the_plot_and_the_others_scale() {
        let months = (0..12)
            .map(|month| {
                (
                    if month == 2 { 10 } else { month % 2 * 5 },
                    String::new(),
                    String::new(),
                    String::new(),
                )
            })
            .collect();
        let chart = trend(months);
        assert_eq!(chart.bars[2].height, TREND_PLOT);
        assert_eq!(chart.bars[1].height, TREND_PLOT / 2);
        assert_eq!(chart.bars[0].height, 0);
        assert!(
            chart
                .bars
                .iter()
                .all(|bar| bar.y + bar.height == chart.baseline)
        );
    }

    #[test]
    fn empty_months_draw_no_cell() {
        let mut months: [(usize, String, String); 12] = Default::default();
        months[3] = (2, "/x".to_string(), "t".to_string());
        let map = heat_map(
            vec![HeatInput {
                name: "第一党支部".into(),
                href: "/b".into(),
                months,
            }],
            &vec![String::new(); 12],
        );
        assert_eq!(map.rows[0].cells.len(), 1);
        assert_eq!(map.rows[0].cells[0].class, "h2");
    }
}
