//! Spreadsheets (.xlsx): the roster, the dues register with the year's ledger, and attendance per
//! meeting × member. The first row of each sheet is its header, so the sheets read back as tables;
//! amounts are numbers in yuan with two decimals, and every total is a formula that carries its
//! computed value (readers that do not calculate, such as openpyxl or calamine, see the value).

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet};

use crate::PrintError;
use crate::model::{AttendanceView, DuesRegisterView, Money, RosterView};

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00E8_E8E8))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
}

fn money_format() -> Format {
    Format::new().set_num_format("0.00")
}

fn error(error: rust_xlsxwriter::XlsxError) -> PrintError {
    PrintError::Spreadsheet(error.to_string())
}

fn write_header(sheet: &mut Worksheet, headers: &[&str]) -> Result<(), PrintError> {
    let format = header_format();
    for (column, header) in headers.iter().enumerate() {
        let column = column_index(column)?;
        sheet
            .write_string_with_format(0, column, *header, &format)
            .map_err(error)?;
        let width = header.chars().count().max(6) * 2 + 2;
        #[allow(clippy::cast_precision_loss)]
        sheet
            .set_column_width(column, width as f64)
            .map_err(error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(error)?;
    Ok(())
}

fn column_index(column: usize) -> Result<u16, PrintError> {
    u16::try_from(column).map_err(|_| PrintError::Spreadsheet("too many columns".to_string()))
}

fn row_index(row: usize) -> Result<u32, PrintError> {
    u32::try_from(row).map_err(|_| PrintError::Spreadsheet("too many rows".to_string()))
}

fn write_money(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    money: Option<&Money>,
) -> Result<(), PrintError> {
    if let Some(money) = money {
        sheet
            .write_number_with_format(row, column, money.as_f64(), &money_format())
            .map_err(error)?;
    }
    Ok(())
}

/// A `SUM` over `column` from the second row to `last_row` (0-based), with `total` as its value.
fn write_sum(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    last_row: u32,
    total: &Money,
) -> Result<(), PrintError> {
    let letter = column_letter(column);
    let formula = if last_row >= 1 {
        format!("=SUM({letter}2:{letter}{})", last_row + 1)
    } else {
        "=0".to_string()
    };
    let bold_money = money_format().set_bold();
    sheet
        .write_formula_with_format(
            row,
            column,
            Formula::new(formula).set_result(total.yuan.0.to_yuan_string()),
            &bold_money,
        )
        .map_err(error)?;
    Ok(())
}

fn column_letter(column: u16) -> String {
    let mut number = u32::from(column) + 1;
    let mut letters = Vec::new();
    while number > 0 {
        let rest = (number - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rest).unwrap_or(0)));
        number = (number - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// 党员名册 as a spreadsheet: one row per member.
pub fn roster(view: &RosterView) -> Result<Vec<u8>, PrintError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("党员名册").map_err(error)?;
    write_header(
        sheet,
        &[
            "序号",
            "姓名",
            "性别",
            "民族",
            "出生日期",
            "学历",
            "公民身份号码",
            "手机号码",
            "入党时间",
            "转正时间",
            "党员状态",
            "党小组",
            "人员类别",
            "所在党支部",
            "备注",
        ],
    )?;
    for (index, member) in view.rows.iter().enumerate() {
        let row = row_index(index + 1)?;
        #[allow(clippy::cast_precision_loss)]
        sheet
            .write_number(row, 0, member.index as f64)
            .map_err(error)?;
        let texts = [
            &member.name,
            &member.sex,
            &member.ethnicity,
            &member.birth_date,
            &member.education,
            &member.id_number,
            &member.phone,
            &member.joined_on,
            &member.full_member_on,
            &member.status,
            &member.party_group,
            &member.category,
            &view.branch_name,
            &member.note,
        ];
        for (offset, text) in texts.iter().enumerate() {
            if !text.is_empty() {
                sheet
                    .write_string(row, column_index(offset + 1)?, text.as_str())
                    .map_err(error)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(error)
}

/// 党费收缴登记表 (the month) and 年度台账 (the year to that month), two sheets.
pub fn dues_register(view: &DuesRegisterView) -> Result<Vec<u8>, PrintError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("党费收缴登记表").map_err(error)?;
    write_header(
        sheet,
        &[
            "序号",
            "姓名",
            "人员类别",
            "交纳基数（元）",
            "交纳比例或标准",
            "本月应交（元）",
            "交纳本月（元）",
            "本月实收（元）",
            "累计欠交（元）",
            "交纳情况",
            "欠交月份",
        ],
    )?;
    for (index, line) in view.rows.iter().enumerate() {
        let row = row_index(index + 1)?;
        #[allow(clippy::cast_precision_loss)]
        sheet
            .write_number(row, 0, line.index as f64)
            .map_err(error)?;
        sheet.write_string(row, 1, &line.name).map_err(error)?;
        sheet.write_string(row, 2, &line.category).map_err(error)?;
        write_money(sheet, row, 3, line.base.as_ref())?;
        sheet.write_string(row, 4, &line.rate).map_err(error)?;
        write_money(sheet, row, 5, line.owed.as_ref())?;
        write_money(sheet, row, 6, Some(&line.paid_for_month))?;
        write_money(sheet, row, 7, Some(&line.received_in_month))?;
        write_money(sheet, row, 8, Some(&line.arrears_to_date))?;
        sheet.write_string(row, 9, &line.state).map_err(error)?;
        if !line.unpaid_months.is_empty() {
            sheet
                .write_string(row, 10, &line.unpaid_months)
                .map_err(error)?;
        }
    }
    let last = row_index(view.rows.len())?;
    let total_row = last + 1;
    sheet
        .write_string_with_format(total_row, 1, "合计", &Format::new().set_bold())
        .map_err(error)?;
    write_sum(sheet, total_row, 5, last, &view.expected)?;
    write_sum(sheet, total_row, 6, last, &view.collected_for_month)?;
    write_sum(sheet, total_row, 7, last, &view.collected)?;
    write_sum(sheet, total_row, 8, last, &view.arrears_total)?;
    let remit_row = total_row + 1;
    sheet
        .write_string(
            remit_row,
            1,
            format!("上缴上级党委（{}）", view.remit_share),
        )
        .map_err(error)?;
    write_money(sheet, remit_row, 7, Some(&view.remitted))?;
    for (offset, flag) in view.flags.iter().enumerate() {
        sheet
            .write_string(remit_row + 2 + row_index(offset)?, 1, flag)
            .map_err(error)?;
    }

    let ledger = workbook.add_worksheet();
    ledger.set_name("年度台账").map_err(error)?;
    let mut headers: Vec<String> = vec!["姓名".to_string()];
    headers.extend(
        view.ledger_months
            .iter()
            .map(|month| format!("{month}已交（元）")),
    );
    headers.extend(
        ["应交合计（元）", "已交合计（元）", "欠交（元）"]
            .iter()
            .map(|text| text.to_string()),
    );
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    write_header(ledger, &header_refs)?;
    for (index, line) in view.ledger.iter().enumerate() {
        let row = row_index(index + 1)?;
        ledger.write_string(row, 0, &line.name).map_err(error)?;
        for (month, cell) in line.months.iter().enumerate() {
            write_money(ledger, row, column_index(month + 1)?, Some(&cell.paid))?;
        }
        let after = line.months.len() + 1;
        write_money(ledger, row, column_index(after)?, Some(&line.total_owed))?;
        write_money(
            ledger,
            row,
            column_index(after + 1)?,
            Some(&line.total_paid),
        )?;
        write_money(ledger, row, column_index(after + 2)?, Some(&line.arrears))?;
    }
    workbook.save_to_buffer().map_err(error)
}

/// Attendance: one row per member, one column per meeting, then the counts.
pub fn attendance(view: &AttendanceView) -> Result<Vec<u8>, PrintError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("出勤登记").map_err(error)?;
    let mut headers: Vec<String> = vec!["姓名".to_string()];
    headers.extend(
        view.meetings
            .iter()
            .map(|meeting| format!("{} {}", meeting.date, meeting.kinds)),
    );
    headers.push("实到次数".to_string());
    headers.push("应到次数".to_string());
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    write_header(sheet, &header_refs)?;
    let wrap = Format::new().set_text_wrap();
    for (index, line) in view.rows.iter().enumerate() {
        let row = row_index(index + 1)?;
        sheet.write_string(row, 0, &line.name).map_err(error)?;
        for (meeting, cell) in line.cells.iter().enumerate() {
            if !cell.is_empty() {
                sheet
                    .write_string_with_format(row, column_index(meeting + 1)?, cell, &wrap)
                    .map_err(error)?;
            }
        }
        let after = line.cells.len() + 1;
        #[allow(clippy::cast_precision_loss)]
        {
            sheet
                .write_number(row, column_index(after)?, line.present as f64)
                .map_err(error)?;
            sheet
                .write_number(row, column_index(after + 1)?, line.expected as f64)
                .map_err(error)?;
        }
    }
    workbook.save_to_buffer().map_err(error)
}

#[cfg(test)]
mod tests {
    use super::column_letter;

    #[test]
    fn column_letters_run_past_z() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
