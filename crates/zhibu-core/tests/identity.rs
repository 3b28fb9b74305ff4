//! Identity numbers and phones as tables: GB 11643-1999 (公民身份号码, ISO 7064 MOD 11-2 check
//! character) with good and bad check digits, impossible and future birth dates; mainland mobile
//! and landline numbers. Each row is one number and what must come of it.

use chrono::NaiveDate;
use zhibu_core::Sex;
use zhibu_core::identity::*;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

const TODAY: &str = "2026-05-20";

#[test]
fn gb11643_check_character_is_iso7064_mod_11_2() {
    let table = [
        ("11010519491231002", Some('X')),
        ("44030419900307123", Some('X')),
        ("32010219850615002", Some('2')),
        ("11010120000229001", Some('8')),
        ("31011519800101541", Some('5')),
        ("1101051949123100", None),
        ("1101051949123100A", None),
    ];
    for (digits, expected) in table {
        assert_eq!(id_check_character(digits), expected, "{digits}");
    }
}

#[test]
fn gb11643_valid_numbers_give_birth_date_sex_and_mask() {
    // (input, canonical, birth date, sex, masked)
    let table = [
        (
            "11010519491231002X",
            "11010519491231002X",
            "1949-12-31",
            Sex::Female,
            "110105********002X",
        ),
        (
            "11010519491231002x",
            "11010519491231002X",
            "1949-12-31",
            Sex::Female,
            "110105********002X",
        ),
        (
            " 110105 19491231 002X ",
            "11010519491231002X",
            "1949-12-31",
            Sex::Female,
            "110105********002X",
        ),
        (
            "44030419900307123X",
            "44030419900307123X",
            "1990-03-07",
            Sex::Male,
            "440304********123X",
        ),
        (
            "110101200002290018",
            "110101200002290018",
            "2000-02-29",
            Sex::Male,
            "110101********0018",
        ),
        (
            "320102198506150022",
            "320102198506150022",
            "1985-06-15",
            Sex::Female,
            "320102********0022",
        ),
        (
            "810000199912120016",
            "810000199912120016",
            "1999-12-12",
            Sex::Male,
            "810000********0016",
        ),
        (
            "110105202605200012",
            "110105202605200012",
            "2026-05-20",
            Sex::Male,
            "110105********0012",
        ),
    ];
    for (input, canonical, birth, sex, masked) in table {
        let number =
            IdCardNumber::parse(input, d(TODAY)).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(number.as_full_str(), canonical, "{input}");
        assert_eq!(number.birth_date(), d(birth), "{input}");
        assert_eq!(number.sex(), sex, "{input}");
        assert_eq!(number.masked(), masked, "{input}");
        assert_eq!(number.to_string(), masked, "Display masks {input}");
        assert!(
            !format!("{number:?}").contains(&canonical[6..14]),
            "Debug hides the birth date of {input}"
        );
    }
}

#[test]
fn gb11643_bad_numbers_report_every_problem() {
    use IdCardProblem as P;
    let table: Vec<(&str, Vec<IdCardProblem>)> = vec![
        ("", vec![P::Empty]),
        ("110105491231002", vec![P::OldFifteenDigits]),
        ("11010519491231002", vec![P::WrongLength { found: 17 }]),
        ("11010519491231002X1", vec![P::WrongLength { found: 19 }]),
        ("11010519491231002A", vec![P::BadCharacters]),
        ("1101051949123100X2", vec![P::BadCharacters]),
        (
            "１１０１０５１９４９１２３１００２Ｘ",
            vec![P::FullWidthCharacters],
        ),
        // Good digits, wrong check character.
        (
            "110105194912310021",
            vec![P::CheckDigitMismatch {
                expected: 'X',
                found: '1',
            }],
        ),
        (
            "440304199003071230",
            vec![P::CheckDigitMismatch {
                expected: 'X',
                found: '0',
            }],
        ),
        (
            "320102198506150023",
            vec![P::CheckDigitMismatch {
                expected: '2',
                found: '3',
            }],
        ),
        // Two digits swapped: the check character catches it.
        (
            "110105194912130020",
            vec![P::CheckDigitMismatch {
                expected: '9',
                found: '0',
            }],
        ),
        // Impossible birth dates with correct check characters: 0230, 1900-02-29, 2001-02-29.
        (
            "11010519900230001X",
            vec![P::ImpossibleBirthDate {
                digits: "19900230".into(),
            }],
        ),
        (
            "110105190002290017",
            vec![P::ImpossibleBirthDate {
                digits: "19000229".into(),
            }],
        ),
        (
            "110105200102290010",
            vec![P::ImpossibleBirthDate {
                digits: "20010229".into(),
            }],
        ),
        (
            "11010520300101001X",
            vec![P::BirthDateInFuture {
                date: d("2030-01-01"),
            }],
        ),
        (
            "110105202605210018",
            vec![P::BirthDateInFuture {
                date: d("2026-05-21"),
            }],
        ),
        (
            "110105189912310023",
            vec![P::BirthDateBefore1900 {
                date: d("1899-12-31"),
            }],
        ),
        (
            "990105194912310023",
            vec![P::UnknownRegion {
                prefix: "99".into(),
            }],
        ),
        (
            "000105194912310024",
            vec![P::UnknownRegion {
                prefix: "00".into(),
            }],
        ),
        (
            "990105199002300010",
            vec![
                P::UnknownRegion {
                    prefix: "99".into(),
                },
                P::ImpossibleBirthDate {
                    digits: "19900230".into(),
                },
                P::CheckDigitMismatch {
                    expected: '3',
                    found: '0',
                },
            ],
        ),
    ];
    for (input, problems) in table {
        match IdCardNumber::parse(input, d(TODAY)) {
            Ok(number) => panic!("{input} was accepted as {number}"),
            Err(error) => assert_eq!(error.problems, problems, "{input}"),
        }
    }
}

#[test]
fn gb11643_errors_are_bilingual_field_errors() {
    let error = IdCardNumber::parse("11010519900230001X", d(TODAY)).expect_err("refused");
    let errors = error.to_validation_errors("rows[4].id_number");
    assert_eq!(errors.errors.len(), 1);
    let field = &errors.errors[0];
    assert_eq!(
        (field.field.as_str(), field.code.as_str()),
        ("rows[4].id_number", "id_impossible_birth_date")
    );
    assert!(
        field.message_zh.contains("19900230") && field.message_zh.contains("不是真实的日期"),
        "{}",
        field.message_zh
    );
    assert!(
        field.message_en.contains("not a real date"),
        "{}",
        field.message_en
    );
    let mismatch = IdCardNumber::parse("110105194912310021", d(TODAY)).expect_err("refused");
    assert!(
        mismatch.to_string().contains("校验位") && mismatch.to_string().contains("check digit")
    );
}

#[test]
fn gb11643_number_must_agree_with_the_member_record() {
    let number = IdCardNumber::parse("11010519491231002X", d(TODAY)).expect("valid");
    let table = [
        (Some("1949-12-31"), Sex::Female, vec![]),
        (None, Sex::Female, vec![]),
        (
            Some("1949-12-30"),
            Sex::Female,
            vec!["id_birth_date_differs"],
        ),
        (Some("1949-12-31"), Sex::Male, vec!["id_sex_differs"]),
        (
            Some("1950-01-01"),
            Sex::Male,
            vec!["id_birth_date_differs", "id_sex_differs"],
        ),
    ];
    for (birth, sex, codes) in table {
        let result = number.check_consistent_with("id_number", birth.map(d), sex);
        let found: Vec<String> = result
            .err()
            .map(|e| e.errors.into_iter().map(|e| e.code).collect())
            .unwrap_or_default();
        assert_eq!(found, codes, "{birth:?} {sex:?}");
    }
}

#[test]
fn phone_numbers_mobile_and_landline_are_read_and_masked() {
    // (input, kind, stored form, masked)
    let table = [
        (
            "13812345678",
            PhoneKind::Mobile,
            "13812345678",
            "138****5678",
        ),
        (
            "138 1234 5678",
            PhoneKind::Mobile,
            "13812345678",
            "138****5678",
        ),
        (
            "138-1234-5678",
            PhoneKind::Mobile,
            "13812345678",
            "138****5678",
        ),
        (
            "+86 138 1234 5678",
            PhoneKind::Mobile,
            "13812345678",
            "138****5678",
        ),
        (
            "+8613812345678",
            PhoneKind::Mobile,
            "13812345678",
            "138****5678",
        ),
        (
            "008619912345678",
            PhoneKind::Mobile,
            "19912345678",
            "199****5678",
        ),
        (
            "8613912345678",
            PhoneKind::Mobile,
            "13912345678",
            "139****5678",
        ),
        (
            "010-62345678",
            PhoneKind::Landline,
            "010-62345678",
            "010-****5678",
        ),
        (
            "(010)62345678",
            PhoneKind::Landline,
            "010-62345678",
            "010-****5678",
        ),
        (
            "（0571）87654321",
            PhoneKind::Landline,
            "0571-87654321",
            "0571-****4321",
        ),
        (
            "0571-8765432",
            PhoneKind::Landline,
            "0571-8765432",
            "0571-***5432",
        ),
        (
            "021-62345678转801",
            PhoneKind::Landline,
            "021-62345678转801",
            "021-****5678",
        ),
        (
            "021 6234 5678 ext 12",
            PhoneKind::Landline,
            "021-62345678转12",
            "021-****5678",
        ),
        (
            "+86 10 6234 5678",
            PhoneKind::Landline,
            "010-62345678",
            "010-****5678",
        ),
        (
            "+86 571 8765 4321",
            PhoneKind::Landline,
            "0571-87654321",
            "0571-****4321",
        ),
    ];
    for (input, kind, stored, masked) in table {
        let phone = PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(phone.kind(), kind, "{input}");
        assert_eq!(phone.as_full_str(), stored, "{input}");
        assert_eq!(phone.masked(), masked, "{input}");
        assert_eq!(phone.to_string(), masked, "Display masks {input}");
    }
}

#[test]
fn phone_numbers_that_are_not_mainland_numbers_are_refused_with_the_reason() {
    use PhoneProblem as P;
    let table = [
        ("", P::Empty),
        ("1381234567", P::MobileLength { found: 10 }),
        ("138123456789", P::MobileLength { found: 12 }),
        ("12812345678", P::MobilePrefix),
        ("10812345678", P::MobilePrefix),
        ("12345678", P::MobileLength { found: 8 }),
        ("62345678", P::MissingAreaCode),
        ("010-1234567890", P::LandlineNumber),
        ("010-02345678", P::LandlineNumber),
        ("0571-123", P::LandlineNumber),
        ("13812345678转8", P::ExtensionOnMobile),
        ("010-62345678转", P::BadExtension),
        ("010-62345678转abc", P::BadExtension),
        ("+1 415 555 0100", P::NotMainland),
        ("138-1234-567a", P::BadCharacters),
        ("电话13812345678", P::BadCharacters),
        ("１３８１２３４５６７８", P::FullWidthDigits),
    ];
    for (input, problem) in table {
        match PhoneNumber::parse(input) {
            Ok(phone) => panic!("{input} was accepted as {phone}"),
            Err(error) => {
                assert_eq!(error.problem, problem, "{input}");
                let field = error.to_field_error("rows[2].phone");
                assert!(!field.message_zh.is_empty() && !field.message_en.is_empty());
            }
        }
    }
}
