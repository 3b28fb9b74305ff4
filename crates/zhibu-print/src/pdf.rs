//! PDF registers, typeset by typst from templates compiled into the binary
//! (`crates/zhibu-print/templates/*.typ`).
//!
//! User text never becomes markup: each register's view model is serialized to JSON and handed to
//! the template as bytes in `sys.inputs.data`; the template reads it with `json(...)` and shows
//! every value as a string. A topic such as `#set page(width: 1cm)` or `$x$` prints as typed.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use typst::foundations::{Bytes, Dict, IntoValue};
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;

use crate::PrintError;
use crate::fonts::LoadedFonts;
use crate::model::{
    AdmissionRecordView, AnnualSummaryView, DuesRegisterView, MeetingRecordView, RosterView,
};

const TEMPLATES: [(&str, &str); 6] = [
    ("common.typ", include_str!("../templates/common.typ")),
    ("roster.typ", include_str!("../templates/roster.typ")),
    ("dues.typ", include_str!("../templates/dues.typ")),
    ("meeting.typ", include_str!("../templates/meeting.typ")),
    ("summary.typ", include_str!("../templates/summary.typ")),
    ("admission.typ", include_str!("../templates/admission.typ")),
];

/// Typesets registers. Building one reads the fonts; keep it for the life of the process
/// ([`Printer::shared`]).
pub struct Printer {
    engine: TypstEngine<TypstTemplateCollection>,
    body_fonts: Vec<String>,
    heading_fonts: Vec<String>,
}

#[derive(Serialize)]
struct FontNames<'a> {
    body: &'a [String],
    heading: &'a [String],
}

#[derive(Serialize)]
struct Input<'a, T> {
    fonts: FontNames<'a>,
    doc: &'a T,
}

static SHARED: Mutex<Option<Arc<Printer>>> = Mutex::new(None);

impl Printer {
    pub fn new(fonts: LoadedFonts) -> Printer {
        let engine = TypstEngine::builder()
            .fonts(fonts.fonts)
            .with_static_source_file_resolver(TEMPLATES)
            .build();
        Printer {
            engine,
            body_fonts: fonts.body,
            heading_fonts: fonts.heading,
        }
    }

    /// The printer of this process, built on first use from the fonts found then
    /// ([`LoadedFonts::discover`]). When no font is found the error says which package to
    /// install, and the next call looks again.
    pub fn shared() -> Result<Arc<Printer>, PrintError> {
        let mut shared = SHARED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(printer) = shared.as_ref() {
            return Ok(Arc::clone(printer));
        }
        let printer = Arc::new(Printer::new(LoadedFonts::discover()?));
        *shared = Some(Arc::clone(&printer));
        Ok(printer)
    }

    fn render<T: Serialize>(&self, template: &str, doc: &T) -> Result<Vec<u8>, PrintError> {
        let input = Input {
            fonts: FontNames {
                body: &self.body_fonts,
                heading: &self.heading_fonts,
            },
            doc,
        };
        let json = serde_json::to_vec(&input).map_err(|error| PrintError::Typeset {
            template: template.to_string(),
            detail: error.to_string(),
        })?;
        let mut inputs = Dict::new();
        inputs.insert("data".into(), Bytes::new(json).into_value());
        let compiled = self
            .engine
            .compile_with_input::<_, _, PagedDocument>(template, inputs);
        let document = compiled.output.map_err(|error| PrintError::Typeset {
            template: template.to_string(),
            detail: error.to_string(),
        })?;
        typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|diagnostics| {
            PrintError::Typeset {
                template: template.to_string(),
                detail: diagnostics
                    .iter()
                    .map(|diagnostic| diagnostic.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
    }

    /// 党员名册.
    pub fn roster(&self, view: &RosterView) -> Result<Vec<u8>, PrintError> {
        self.render("roster.typ", view)
    }

    /// 党费收缴登记表, with the year's ledger.
    pub fn dues_register(&self, view: &DuesRegisterView) -> Result<Vec<u8>, PrintError> {
        self.render("dues.typ", view)
    }

    /// One meeting's record in the layout of a 三会一课 record book.
    pub fn meeting_record(&self, view: &MeetingRecordView) -> Result<Vec<u8>, PrintError> {
        self.render("meeting.typ", view)
    }

    /// A branch's year: duties done per month, meetings, open findings.
    pub fn annual_summary(&self, view: &AnnualSummaryView) -> Result<Vec<u8>, PrintError> {
        self.render("summary.typ", view)
    }

    /// 发展党员工作纪实表.
    pub fn admission_record(&self, view: &AdmissionRecordView) -> Result<Vec<u8>, PrintError> {
        self.render("admission.typ", view)
    }
}
