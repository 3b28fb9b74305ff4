//! Word documents (.docx) of meeting records, for branches that keep their record book in Word:
//! the same layout as the PDF (a 三会一课 record-book page), from the same view model. Text is
//! written as text runs, so nothing the user typed is interpreted.

use docx_rs::{
    AlignmentType, BreakType, Docx, Paragraph, Run, RunFonts, Shading, Table, TableCell, TableRow,
    VAlignType, WidthType,
};

use crate::PrintError;
use crate::model::MeetingRecordView;

/// Body text: 宋体 where Word has it (and whatever CJK serif LibreOffice substitutes).
fn body_fonts() -> RunFonts {
    RunFonts::new()
        .east_asia("宋体")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn heading_fonts() -> RunFonts {
    RunFonts::new()
        .east_asia("黑体")
        .ascii("Arial")
        .hi_ansi("Arial")
}

/// A run of `text`; a line break for each newline it holds.
fn text_run(text: &str) -> Run {
    let mut run = Run::new().fonts(body_fonts());
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        run = run.add_text(line.trim_end_matches('\r'));
    }
    run
}

fn label(text: &str) -> TableCell {
    TableCell::new()
        .width(1500, WidthType::Dxa)
        .shading(Shading::new().fill("EDEDED"))
        .vertical_align(VAlignType::Center)
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(Run::new().add_text(text).bold().fonts(heading_fonts())),
        )
}

fn value(text: &str) -> TableCell {
    TableCell::new()
        .width(3000, WidthType::Dxa)
        .vertical_align(VAlignType::Center)
        .add_paragraph(Paragraph::new().add_run(text_run(text)))
}

fn wide(lines: &[String], span: usize) -> TableCell {
    let mut cell = TableCell::new()
        .grid_span(span)
        .width(7500, WidthType::Dxa)
        .vertical_align(VAlignType::Center);
    if lines.is_empty() {
        cell = cell.add_paragraph(Paragraph::new());
    }
    for line in lines {
        cell = cell.add_paragraph(Paragraph::new().add_run(text_run(line)));
    }
    cell
}

/// The record of one meeting as a Word document.
pub fn meeting_record(view: &MeetingRecordView) -> Result<Vec<u8>, PrintError> {
    let absences: Vec<String> = if view.absences.is_empty() {
        vec!["无".to_string()]
    } else {
        view.absences
            .iter()
            .map(|absence| {
                if absence.reason.is_empty() {
                    format!("{}（{}）", absence.name, absence.state)
                } else {
                    format!("{}（{}：{}）", absence.name, absence.state, absence.reason)
                }
            })
            .collect()
    };
    let topics: Vec<String> = view
        .topics
        .iter()
        .enumerate()
        .map(|(index, topic)| format!("{}. {topic}", index + 1))
        .collect();
    let resolutions: Vec<String> = if view.resolutions.is_empty() {
        vec!["无".to_string()]
    } else {
        view.resolutions
            .iter()
            .enumerate()
            .map(|(index, resolution)| {
                format!(
                    "{}. {}：赞成{}票，反对{}票，弃权{}票，{}。",
                    index + 1,
                    resolution.subject,
                    resolution.yes,
                    resolution.no,
                    resolution.abstain,
                    resolution.outcome
                )
            })
            .collect()
    };
    let rows = vec![
        TableRow::new(vec![
            label("会议类型"),
            wide(std::slice::from_ref(&view.kinds), 3),
        ]),
        TableRow::new(vec![
            label("时间"),
            value(&view.date),
            label("地点"),
            value(&view.place),
        ]),
        TableRow::new(vec![
            label("主持人"),
            value(&view.chair),
            label("记录人"),
            value(&view.recorder),
        ]),
        TableRow::new(vec![
            label("应到人数"),
            value(&view.expected.to_string()),
            label("实到人数"),
            value(&view.present.to_string()),
        ]),
        TableRow::new(vec![
            label("出席人员"),
            wide(std::slice::from_ref(&view.present_names), 3),
        ]),
        TableRow::new(vec![label("缺席人员及原因"), wide(&absences, 3)]),
        TableRow::new(vec![label("议题"), wide(&topics, 3)]),
        TableRow::new(vec![
            label("会议内容"),
            wide(std::slice::from_ref(&view.minutes), 3),
        ]),
        TableRow::new(vec![label("决议"), wide(&resolutions, 3)]),
        TableRow::new(vec![
            label("主持人签字"),
            value(""),
            label("记录人签字"),
            value(""),
        ]),
    ];
    let mut document = Docx::new()
        .default_fonts(body_fonts())
        .default_size(21)
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text("会议记录")
                    .bold()
                    .size(36)
                    .fonts(heading_fonts()),
            ),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text_run(&view.branch_name)),
        )
        .add_table(Table::new(rows).set_grid(vec![1500, 3000, 1500, 3000]));
    if !view.version_note.is_empty() {
        document =
            document.add_paragraph(Paragraph::new().add_run(text_run(&view.version_note).size(16)));
    }
    let mut buffer = std::io::Cursor::new(Vec::new());
    document
        .build()
        .pack(&mut buffer)
        .map_err(|error| PrintError::Document(error.to_string()))?;
    Ok(buffer.into_inner())
}
