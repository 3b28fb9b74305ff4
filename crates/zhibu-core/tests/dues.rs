//! Dues rule tests as tables (党费规定 = 《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号)).
//! Each test's name carries the article it checks; each row is one input and what must come of it.

use chrono::{DateTime, NaiveDate, Utc};
use zhibu_core::dues::*;
use zhibu_core::money::Fen;
use zhibu_core::rules::Severity;
use zhibu_core::*;

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn ym(text: &str) -> YearMonth {
    YearMonth::parse(text).expect("test month")
}

fn yuan(text: &str) -> Fen {
    Fen::parse(text).expect("test amount")
}

const BRANCH: OrgId = OrgId(10);
const OTHER_BRANCH: OrgId = OrgId(20);

fn stored<T>(id: i64, body: T, date: NaiveDate) -> Stored<T> {
    let instant: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("instant")
        .with_timezone(&Utc);
    Stored {
        id,
        version: 1,
        event_date: date,
        first_entered_at: instant,
        last_changed_at: instant,
        body,
    }
}

/// A member admitted (the general meeting's vote) on `joined`, in `branch` from that day.
fn member_in(
    id: i64,
    joined: &str,
    employment: EmploymentCategory,
    branch: OrgId,
) -> Stored<Member> {
    let body = Member {
        name: format!("党员{id}"),
        sex: Sex::Female,
        birth_date: Some(d("1980-01-01")),
        joined_on: d(joined),
        status_history: vec![StatusChange {
            effective_on: d(joined),
            status: MemberStatus::Probationary,
            note: None,
        }],
        postings: vec![BranchPosting {
            branch_id: branch,
            group_id: None,
            from: d(joined),
            until: None,
            transferred_in_from: None,
            transferred_out_to: None,
        }],
        employment,
        leading_cadre: false,
        org_life_exemption: None,
        registry: Default::default(),
        sanctions: Vec::new(),
    };
    stored(id, body, d(joined))
}

fn member(id: i64, joined: &str, employment: EmploymentCategory) -> Stored<Member> {
    member_in(id, joined, employment, BRANCH)
}

fn declaration(
    member_id: i64,
    category: EmploymentCategory,
    base: &str,
    from: &str,
) -> IncomeDeclaration {
    IncomeDeclaration {
        member_id: MemberId(member_id),
        branch_id: BRANCH,
        category,
        monthly_base: yuan(base).into(),
        effective_month: ym(from),
        note: String::new(),
    }
}

fn payment(
    member_id: i64,
    paid_on: &str,
    amount: &str,
    months: &[&str],
    method: PaymentMethod,
) -> DuesPayment {
    DuesPayment {
        member_id: MemberId(member_id),
        branch_id: BRANCH,
        paid_on: d(paid_on),
        amount: yuan(amount),
        months_covered: months.iter().map(|m| ym(m)).collect(),
        method,
        proxy: None,
        quarterly_consent_ref: None,
    }
}

fn due(member: &Stored<Member>, declarations: &[IncomeDeclaration], month: &str) -> DueLine {
    monthly_due(member, declarations, &DuesPolicy::default(), ym(month))
}

#[test]
fn dues_rules_article_2_salaried_rate_applies_to_the_whole_base_at_every_band_edge() {
    use EmploymentCategory::*;
    // (category, base, basis points, amount). 以下 includes the edge; the whole base pays the rate.
    let table = [
        (Salaried, "0.00", 50, "0.00"),
        (Salaried, "2997.00", 50, "14.99"),
        (Salaried, "3000.00", 50, "15.00"),
        (Salaried, "3000.01", 100, "30.00"),
        (Salaried, "4999.99", 100, "50.00"),
        (Salaried, "5000.00", 100, "50.00"),
        (Salaried, "5000.01", 150, "75.00"),
        (Salaried, "10000.00", 150, "150.00"),
        (Salaried, "10000.01", 200, "200.00"),
        (Salaried, "12345.67", 200, "246.91"),
        // 第三条, 第四条: annual-salary and self-employed members use the same bands on their own base.
        (AnnualSalary, "3000.00", 50, "15.00"),
        (AnnualSalary, "3000.01", 100, "30.00"),
        (AnnualSalary, "10000.01", 200, "200.00"),
        (SelfEmployed, "5000.00", 100, "50.00"),
        (SelfEmployed, "5000.01", 150, "75.00"),
        (SelfEmployed, "10000.00", 150, "150.00"),
    ];
    for (category, base, basis_points, amount) in table {
        let someone = member(1, "2020-01-10", category);
        let declarations = [declaration(1, category, base, "2026-03")];
        let line = due(&someone, &declarations, "2026-03");
        assert_eq!(line.status, DueStatus::Owed, "{category:?} {base}");
        assert_eq!(line.base, Some(yuan(base)), "{category:?} {base}");
        assert_eq!(
            line.rate,
            Some(DuesRate::Percent { basis_points }),
            "{category:?} {base}"
        );
        assert_eq!(line.amount, yuan(amount), "{category:?} {base}");
        assert_eq!(line.declaration_index, Some(0));
        assert_eq!(line.rule_version_from, Some(d("2008-04-01")));
    }
}

#[test]
fn dues_rules_article_5_retiree_rate_at_the_5000_edge() {
    let table = [
        ("3000.00", 50, "15.00"),
        ("5000.00", 50, "25.00"),
        ("5000.01", 100, "50.00"),
        ("12000.00", 100, "120.00"),
    ];
    for (base, basis_points, amount) in table {
        let retiree = member(1, "1990-07-01", EmploymentCategory::Retired);
        let line = due(
            &retiree,
            &[declaration(1, EmploymentCategory::Retired, base, "2026-01")],
            "2026-03",
        );
        assert_eq!(
            (line.rate, line.amount),
            (Some(DuesRate::Percent { basis_points }), yuan(amount)),
            "pension {base}"
        );
        assert_eq!(line.rule_id, Some("DUES.RATE.RETIREE"));
    }
}

#[test]
fn dues_rules_article_6_flat_rates_for_farmers_students_and_the_unemployed() {
    use EmploymentCategory::*;
    let set_by_branch = |amount: &str| DuesPolicy {
        farmer_monthly_amount: yuan(amount),
        ..DuesPolicy::default()
    };
    // (category, branch policy, amount owed)
    let table = [
        (Farmer, DuesPolicy::default(), "0.20"),
        (Farmer, set_by_branch("0.50"), "0.50"),
        (Farmer, set_by_branch("1.00"), "1.00"),
        // An out-of-range policy is refused by validation and never yields an unlawful due.
        (Farmer, set_by_branch("1.50"), "1.00"),
        (Farmer, set_by_branch("0.10"), "0.20"),
        (Student, set_by_branch("1.00"), "0.20"),
        (UnemployedOrRelief, DuesPolicy::default(), "0.20"),
    ];
    for (category, policy, amount) in table {
        let someone = member(1, "2015-05-05", category);
        // No declaration is needed for a flat rate.
        let line = monthly_due(&someone, &[], &policy, ym("2026-03"));
        assert_eq!(line.status, DueStatus::Owed, "{category:?}");
        assert_eq!(
            line.rate,
            Some(DuesRate::Flat {
                amount: yuan(amount)
            }),
            "{category:?} {policy:?}"
        );
        assert_eq!(line.amount, yuan(amount));
        assert_eq!(line.rule_id, Some("DUES.RATE.FLAT"));
    }
    let policies = [
        ("0.20", true),
        ("1.00", true),
        ("0.19", false),
        ("1.01", false),
    ];
    for (amount, valid) in policies {
        assert_eq!(
            set_by_branch(amount).validate().is_ok(),
            valid,
            "farmer amount {amount}"
        );
    }
    let over = DuesPolicy {
        remit_share: BasisPoints(10_001),
        ..DuesPolicy::default()
    };
    assert!(
        over.validate().is_err(),
        "a remittance share above 100% is refused"
    );
}

#[test]
fn dues_rounding_is_half_up_to_the_fen_in_integer_arithmetic() {
    assert_eq!(DUES_ROUNDING, DuesRounding::HalfUpToFen);
    // (base in fen, basis points, due in fen)
    let table = [
        (100, 50, 1),
        (99, 50, 0),
        (300, 50, 2),
        (299_700, 50, 1_499),
        (1, 50, 0),
        (333_333, 100, 3_333),
        (100_050, 150, 1_501),
    ];
    for (base, basis_points, expected) in table {
        assert_eq!(
            DUES_ROUNDING.apply(Fen::from_fen(base), basis_points),
            Fen::from_fen(expected),
            "{base} fen at {basis_points} bp"
        );
    }
    assert_eq!(
        DUES_ROUNDING.apply(Fen::from_fen(-500), 100),
        Fen::ZERO,
        "a negative base owes nothing"
    );
}

#[test]
fn dues_rules_article_10_a_new_income_is_the_base_from_its_effective_month() {
    use EmploymentCategory::*;
    let someone = member(1, "2018-06-01", Salaried);
    let declarations = [
        declaration(1, Salaried, "4000.00", "2025-01"),
        declaration(1, Salaried, "6000.00", "2026-07"),
        declaration(1, Retired, "5200.00", "2026-10"),
        // Another member's declaration is never used.
        declaration(2, Salaried, "20000.00", "2026-01"),
    ];
    // (month, declaration index, category, amount)
    let table = [
        ("2026-01", Some(0), Salaried, "40.00"),
        ("2026-06", Some(0), Salaried, "40.00"),
        ("2026-07", Some(1), Salaried, "90.00"),
        ("2026-09", Some(1), Salaried, "90.00"),
        ("2026-10", Some(2), Retired, "52.00"),
        ("2026-12", Some(2), Retired, "52.00"),
    ];
    for (month, index, category, amount) in table {
        let line = due(&someone, &declarations, month);
        assert_eq!(
            (line.declaration_index, line.category, line.amount),
            (index, Some(category), yuan(amount)),
            "{month}"
        );
    }
    // Of two declarations for the same month, the one entered later wins.
    let corrected = [
        declaration(1, Salaried, "4000.00", "2026-01"),
        declaration(1, Salaried, "4100.00", "2026-01"),
    ];
    assert_eq!(
        due(&someone, &corrected, "2026-02").declaration_index,
        Some(1)
    );
}

#[test]
fn dues_rules_article_8_probationary_members_owe_from_the_month_of_the_vote() {
    let declarations = [declaration(
        1,
        EmploymentCategory::Salaried,
        "3000.00",
        "2026-01",
    )];
    // (vote date, month, owed?)
    let table = [
        ("2026-03-15", "2026-02", false),
        ("2026-03-15", "2026-03", true),
        ("2026-03-15", "2026-04", true),
        ("2026-03-01", "2026-03", true),
        ("2026-03-31", "2026-03", true),
        ("2026-03-31", "2026-02", false),
        ("2026-01-01", "2025-12", false),
    ];
    for (vote, month, owed) in table {
        let probationary = member(1, vote, EmploymentCategory::Salaried);
        let line = due(&probationary, &declarations, month);
        if owed {
            assert_eq!(
                (line.status, line.amount),
                (DueStatus::Owed, yuan("15.00")),
                "vote {vote}, {month}"
            );
        } else {
            assert_eq!(
                line.status,
                DueStatus::NotOwed {
                    reason: NotOwedReason::BeforeJoining
                },
                "vote {vote}, {month}"
            );
            assert_eq!(line.amount, Fen::ZERO);
        }
    }
}

#[test]
fn dues_rules_versioned_from_2008_04_01_and_months_outside_membership_are_not_owed() {
    let veteran = member(1, "1999-07-01", EmploymentCategory::Student);
    assert_eq!(
        due(&veteran, &[], "2008-03").status,
        DueStatus::NotOwed {
            reason: NotOwedReason::NoRuleInForce
        }
    );
    assert_eq!(due(&veteran, &[], "2008-04").status, DueStatus::Owed);

    let mut suspended = member(2, "2010-01-01", EmploymentCategory::Student);
    suspended.body.status_history.push(StatusChange {
        effective_on: d("2026-02-01"),
        status: MemberStatus::MembershipSuspended,
        note: None,
    });
    suspended.body.status_history.push(StatusChange {
        effective_on: d("2026-05-20"),
        status: MemberStatus::Full,
        note: None,
    });
    // (month, owed?) — a month with at least one day of membership is owed.
    let table = [
        ("2026-01", true),
        ("2026-02", false),
        ("2026-04", false),
        ("2026-05", true),
        ("2026-06", true),
    ];
    for (month, owed) in table {
        let line = due(&suspended, &[], month);
        assert_eq!(line.is_owed(), owed, "{month}: {:?}", line.status);
        if !owed {
            assert_eq!(
                line.status,
                DueStatus::NotOwed {
                    reason: NotOwedReason::NotAMember
                }
            );
        }
    }
}

#[test]
fn dues_rules_articles_3_and_4_base_missing_and_stale_bases_are_reported() {
    use EmploymentCategory::*;
    let salaried = member(1, "2020-01-01", Salaried);
    let line = due(&salaried, &[], "2026-03");
    assert_eq!(
        (line.status, line.amount, line.base),
        (DueStatus::BaseMissing, Fen::ZERO, None)
    );
    assert!(line.is_owed());
    // (category, declaration month, month asked, stale?)
    let table = [
        (AnnualSalary, "2026-03", "2026-03", false),
        (AnnualSalary, "2026-02", "2026-03", true),
        (SelfEmployed, "2026-01", "2026-03", false),
        (SelfEmployed, "2026-01", "2026-04", true),
        (SelfEmployed, "2026-04", "2026-06", false),
        (Salaried, "2020-01", "2026-06", false),
    ];
    for (category, declared, month, stale) in table {
        let someone = member(1, "2015-01-01", category);
        let line = due(
            &someone,
            &[declaration(1, category, "8000.00", declared)],
            month,
        );
        assert_eq!(
            line.base_may_be_stale, stale,
            "{category:?} declared {declared}, asked {month}"
        );
        assert_eq!(line.amount, yuan("120.00"), "the last base is still used");
    }
}

#[test]
fn dues_records_bad_input_is_reported_by_row_and_column() {
    // An import's rows: (base, month). Each problem is named with its row and column.
    let rows = [
        ("3000.00", "2026-01"),
        ("-5", "2026-01"),
        ("三千", "2026-02"),
        ("1.234", "2026-13"),
        ("3,000.00", "2026-03"),
    ];
    let mut errors = ValidationErrors::new();
    for (index, (base, month)) in rows.iter().enumerate() {
        if let Err(error) = Fen::parse(base) {
            errors.push(error.to_field_error(format!("rows[{index}].monthly_base")));
        }
        if let Err(error) = YearMonth::parse(month) {
            errors.push(error.to_field_error(format!("rows[{index}].effective_month")));
        }
    }
    let found: Vec<(&str, &str)> = errors
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("rows[1].monthly_base", "amount_negative"),
            ("rows[2].monthly_base", "amount_chinese_numerals"),
            ("rows[3].monthly_base", "amount_too_many_decimals"),
            ("rows[3].effective_month", "month_invalid"),
        ]
    );
    assert!(
        errors.errors[1].message_zh.contains("三千"),
        "the message quotes what was typed"
    );

    // A declaration checks itself.
    let mut negative = declaration(1, EmploymentCategory::Salaried, "0", "2026-01");
    negative.monthly_base = Fen::from_fen(-500).into();
    let farmer_with_base = declaration(1, EmploymentCategory::Farmer, "3000", "2026-01");
    let too_early = declaration(1, EmploymentCategory::Salaried, "3000", "2008-03");
    let table = [
        (negative, "amount_negative"),
        (farmer_with_base, "base_not_used"),
        (too_early, "before_rules"),
    ];
    for (record, code) in table {
        let codes: Vec<String> = record
            .validate()
            .err()
            .map(|e| e.errors.into_iter().map(|e| e.code).collect())
            .unwrap_or_default();
        assert_eq!(codes, [code], "{record:?}");
    }
}

#[test]
fn dues_rules_article_12_payment_records_check_themselves() {
    let good = payment(1, "2026-03-05", "30.00", &["2026-03"], PaymentMethod::Cash);
    let mut no_amount = good.clone();
    no_amount.amount = Fen::ZERO;
    let mut no_months = good.clone();
    no_months.months_covered.clear();
    let mut twice = good.clone();
    twice.months_covered.push(ym("2026-03"));
    let mut blank_proxy = good.clone();
    blank_proxy.proxy = Some("  ".into());
    let mut proxy = good.clone();
    proxy.proxy = Some("王芳（配偶）".into());
    let table = [
        (good, vec![]),
        (proxy, vec![]),
        (no_amount, vec!["amount"]),
        (no_months, vec!["months_covered"]),
        (twice, vec!["months_covered[1]"]),
        (blank_proxy, vec!["proxy"]),
    ];
    for (record, fields) in table {
        let found: Vec<String> = record
            .validate()
            .err()
            .map(|e| e.errors.into_iter().map(|e| e.field).collect())
            .unwrap_or_default();
        assert_eq!(found, fields, "{record:?}");
    }
}

fn salaried_3000(id: i64) -> (Stored<Member>, IncomeDeclaration) {
    (
        member(id, "2020-01-01", EmploymentCategory::Salaried),
        declaration(id, EmploymentCategory::Salaried, "3000.01", "2025-01"),
    )
}

fn flag_kinds(ledger: &MemberLedger) -> Vec<(DuesFlagKind, Vec<YearMonth>)> {
    ledger
        .flags
        .iter()
        .map(|flag| (flag.kind, flag.months.clone()))
        .collect()
}

#[test]
fn dues_rules_article_12_back_payment_older_than_six_months_is_flagged() {
    let (someone, declared) = salaried_3000(1);
    // (paid on, months, flagged months)
    let table = [
        ("2026-01-20", vec!["2026-01"], vec![]),
        ("2026-07-31", vec!["2026-01"], vec![]),
        ("2026-08-01", vec!["2026-01"], vec!["2026-01"]),
        ("2026-08-01", vec!["2026-01", "2026-02"], vec!["2026-01"]),
        (
            "2026-12-01",
            vec!["2026-01", "2026-05", "2026-06"],
            vec!["2026-01", "2026-05"],
        ),
        ("2027-01-05", vec!["2026-06"], vec!["2026-06"]),
    ];
    for (paid_on, months, flagged) in table {
        let amount = format!("{}", 30 * months.len());
        let payments = [payment(
            1,
            paid_on,
            &amount,
            &months,
            PaymentMethod::Transfer,
        )];
        let records = DuesRecords {
            declarations: std::slice::from_ref(&declared),
            payments: &payments,
            reliefs: &[],
        };
        let ledger = member_ledger(
            &someone,
            &records,
            &DuesPolicy::default(),
            ym("2026-01"),
            ym("2027-01"),
        );
        let expected: Vec<(DuesFlagKind, Vec<YearMonth>)> = if flagged.is_empty() {
            vec![]
        } else {
            vec![(
                DuesFlagKind::BackPaymentBeyondWindow,
                flagged.iter().map(|m| ym(m)).collect(),
            )]
        };
        assert_eq!(
            flag_kinds(&ledger),
            expected,
            "paid {paid_on} for {months:?}"
        );
        for month in &months {
            assert_eq!(
                ledger.month(ym(month)).map(|line| line.state),
                Some(MonthState::Settled),
                "a late payment still settles {month}"
            );
        }
    }
    let flag = {
        let payments = [payment(
            1,
            "2026-08-01",
            "30",
            &["2026-01"],
            PaymentMethod::Cash,
        )];
        let records = DuesRecords {
            declarations: std::slice::from_ref(&declared),
            payments: &payments,
            reliefs: &[],
        };
        member_ledger(
            &someone,
            &records,
            &DuesPolicy::default(),
            ym("2026-01"),
            ym("2026-08"),
        )
        .flags
        .remove(0)
    };
    assert_eq!(
        (flag.rule_id, flag.severity),
        ("DUES.MONTHLY.PAYMENT_AND_ARREARS", Severity::Warning)
    );
    assert!(flag.message_zh.contains("第十二条") && flag.message_en.contains("art. 12"));
}

#[test]
fn dues_rules_article_12_quarterly_payment_in_advance_needs_branch_consent() {
    let (someone, declared) = salaried_3000(1);
    let quarter = ["2026-04", "2026-05", "2026-06"];
    let mut consented = payment(1, "2026-04-05", "90", &quarter, PaymentMethod::Cash);
    consented.quarterly_consent_ref = Some("2026年3月支委会同意按季度交纳".into());
    // (payment, flags)
    let table = [
        (
            payment(1, "2026-04-05", "90", &quarter, PaymentMethod::Cash),
            vec![(
                DuesFlagKind::AdvanceWithoutQuarterlyConsent,
                vec![ym("2026-05"), ym("2026-06")],
            )],
        ),
        (consented, vec![]),
        // Paying the quarter at its end is back payment within the window, not advance payment.
        (
            payment(1, "2026-06-28", "90", &quarter, PaymentMethod::Cash),
            vec![],
        ),
    ];
    for (paid, flags) in table {
        let payments = [paid.clone()];
        let records = DuesRecords {
            declarations: std::slice::from_ref(&declared),
            payments: &payments,
            reliefs: &[],
        };
        let ledger = member_ledger(
            &someone,
            &records,
            &DuesPolicy::default(),
            ym("2026-04"),
            ym("2026-06"),
        );
        assert_eq!(flag_kinds(&ledger), flags, "{paid:?}");
        assert!(ledger.unpaid_months.is_empty() && ledger.arrears.is_zero());
    }
}

#[test]
fn dues_rules_article_14_organization_paid_and_payroll_deducted_dues_are_flagged() {
    let (someone, declared) = salaried_3000(1);
    let table = [
        (PaymentMethod::Cash, None),
        (PaymentMethod::Transfer, None),
        (PaymentMethod::Payroll, Some(DuesFlagKind::DeductedFromPay)),
        (
            PaymentMethod::PaidByOrganization,
            Some(DuesFlagKind::PaidByOrganization),
        ),
    ];
    for (method, flag) in table {
        let payments = [payment(1, "2026-03-10", "30", &["2026-03"], method)];
        let records = DuesRecords {
            declarations: std::slice::from_ref(&declared),
            payments: &payments,
            reliefs: &[],
        };
        let ledger = member_ledger(
            &someone,
            &records,
            &DuesPolicy::default(),
            ym("2026-03"),
            ym("2026-03"),
        );
        let found: Vec<(DuesFlagKind, &str, Severity)> = ledger
            .flags
            .iter()
            .map(|f| (f.kind, f.rule_id, f.severity))
            .collect();
        let expected: Vec<(DuesFlagKind, &str, Severity)> = flag
            .map(|kind| (kind, "DUES.NO_ADVANCE_OR_DEDUCTION", Severity::Error))
            .into_iter()
            .collect();
        assert_eq!(found, expected, "{method:?}");
    }
}

#[test]
fn dues_rules_article_7_hardship_relief_needs_both_branch_decision_and_upper_approval() {
    let (someone, declared) = salaried_3000(1);
    let relief = |kind, branch: &str, upper: &str| DuesRelief {
        member_id: MemberId(1),
        branch_id: BRANCH,
        from_month: ym("2026-02"),
        to_month: ym("2026-03"),
        kind,
        branch_decision_ref: branch.into(),
        upper_approval_ref: upper.into(),
        approved_by: None,
    };
    let reduce = ReliefKind::Reduce {
        monthly_amount: yuan("10.00"),
    };
    // (relief, refused fields, state and owed for 2026-02)
    let table = [
        (
            relief(
                ReliefKind::Waive,
                "2026年1月支委会决定",
                "机关党委〔2026〕3号",
            ),
            vec![],
            MonthState::Waived,
            yuan("0"),
        ),
        (
            relief(reduce, "2026年1月支委会决定", "机关党委〔2026〕3号"),
            vec![],
            MonthState::Unpaid,
            yuan("10.00"),
        ),
        (
            relief(ReliefKind::Waive, "", "机关党委〔2026〕3号"),
            vec!["branch_decision_ref"],
            MonthState::Unpaid,
            yuan("30.00"),
        ),
        (
            relief(ReliefKind::Waive, "2026年1月支委会决定", " "),
            vec!["upper_approval_ref"],
            MonthState::Unpaid,
            yuan("30.00"),
        ),
        (
            relief(reduce, "", ""),
            vec!["branch_decision_ref", "upper_approval_ref"],
            MonthState::Unpaid,
            yuan("30.00"),
        ),
    ];
    for (record, refused, state, owed) in table {
        let fields: Vec<String> = record
            .validate()
            .err()
            .map(|e| e.errors.into_iter().map(|e| e.field).collect())
            .unwrap_or_default();
        assert_eq!(fields, refused, "{record:?}");
        let reliefs = [record.clone()];
        let records = DuesRecords {
            declarations: std::slice::from_ref(&declared),
            payments: &[],
            reliefs: &reliefs,
        };
        let ledger = member_ledger(
            &someone,
            &records,
            &DuesPolicy::default(),
            ym("2026-01"),
            ym("2026-04"),
        );
        let february = ledger.month(ym("2026-02")).expect("in range");
        assert_eq!(
            (february.state, february.owed),
            (state, Some(owed)),
            "{record:?}"
        );
        assert_eq!(
            ledger.month(ym("2026-04")).and_then(|line| line.owed),
            Some(yuan("30.00")),
            "after the relief ends"
        );
        let not_in_effect = ledger.flags.iter().any(|flag| {
            flag.kind == DuesFlagKind::ReliefNotInEffect && flag.rule_id == "DUES.HARDSHIP"
        });
        assert_eq!(not_in_effect, !refused.is_empty(), "{record:?}");
    }
    // A reduction never raises the due; a zero reduction must be recorded as a waiver.
    let generous = relief(
        ReliefKind::Reduce {
            monthly_amount: yuan("50.00"),
        },
        "决定",
        "批准",
    );
    let records = DuesRecords {
        declarations: std::slice::from_ref(&declared),
        payments: &[],
        reliefs: std::slice::from_ref(&generous),
    };
    let ledger = member_ledger(
        &someone,
        &records,
        &DuesPolicy::default(),
        ym("2026-02"),
        ym("2026-02"),
    );
    assert_eq!(ledger.months[0].owed, Some(yuan("30.00")));
    assert!(
        relief(
            ReliefKind::Reduce {
                monthly_amount: Fen::ZERO
            },
            "决定",
            "批准"
        )
        .validate()
        .is_err()
    );
}

#[test]
fn dues_ledger_spreads_payments_oldest_month_first_and_counts_arrears() {
    let (someone, declared) = salaried_3000(1);
    let payments = [
        payment(
            1,
            "2026-02-10",
            "45.00",
            &["2026-01", "2026-02"],
            PaymentMethod::Cash,
        ),
        // Another member's payment is not counted.
        payment(2, "2026-02-10", "30.00", &["2026-03"], PaymentMethod::Cash),
        // Made after the ledger's last month: not yet counted.
        payment(1, "2026-05-02", "30.00", &["2026-03"], PaymentMethod::Cash),
    ];
    let records = DuesRecords {
        declarations: std::slice::from_ref(&declared),
        payments: &payments,
        reliefs: &[],
    };
    let ledger = member_ledger(
        &someone,
        &records,
        &DuesPolicy::default(),
        ym("2026-01"),
        ym("2026-04"),
    );
    // (month, state, paid, arrears)
    let table = [
        ("2026-01", MonthState::Settled, "30.00", "0"),
        ("2026-02", MonthState::PartlyPaid, "15.00", "15.00"),
        ("2026-03", MonthState::Unpaid, "0", "30.00"),
        ("2026-04", MonthState::Unpaid, "0", "30.00"),
    ];
    for (month, state, paid, arrears) in table {
        let line = ledger.month(ym(month)).expect("in range");
        assert_eq!(
            (line.state, line.paid, line.arrears),
            (state, yuan(paid), yuan(arrears)),
            "{month}"
        );
    }
    assert_eq!(
        (ledger.total_owed, ledger.total_paid, ledger.arrears),
        (yuan("120.00"), yuan("45.00"), yuan("75.00"))
    );
    assert_eq!(
        ledger.unpaid_months,
        [ym("2026-03"), ym("2026-04")],
        "a partly paid month is not 'unpaid'"
    );
    assert_eq!(ledger.payments.len(), 1);
}

#[test]
fn dues_rules_article_11_a_voluntary_extra_of_1000_yuan_or_more_is_flagged_for_the_centre() {
    let (someone, declared) = salaried_3000(1);
    // (amount paid for 2026-03 owing 30.00, extra, flagged?)
    let table = [
        ("30.00", "0", false),
        ("1029.99", "999.99", false),
        ("1030.00", "1000.00", true),
        ("5030.00", "5000.00", true),
    ];
    for (amount, extra, flagged) in table {
        let payments = [payment(
            1,
            "2026-03-10",
            amount,
            &["2026-03"],
            PaymentMethod::Transfer,
        )];
        let records = DuesRecords {
            declarations: std::slice::from_ref(&declared),
            payments: &payments,
            reliefs: &[],
        };
        let ledger = member_ledger(
            &someone,
            &records,
            &DuesPolicy::default(),
            ym("2026-03"),
            ym("2026-03"),
        );
        assert_eq!(ledger.payments[0].extra, yuan(extra), "{amount}");
        assert_eq!(ledger.months[0].extra, yuan(extra), "{amount}");
        assert_eq!(
            ledger
                .flags
                .iter()
                .any(|f| f.kind == DuesFlagKind::LargeVoluntaryExtra),
            flagged,
            "{amount}"
        );
    }
    // Money for a month before joining is not owed: it counts as an extra, and is flagged.
    let newcomer = member(3, "2026-03-15", EmploymentCategory::Student);
    let payments = [payment(
        3,
        "2026-03-20",
        "0.40",
        &["2026-02", "2026-03"],
        PaymentMethod::Cash,
    )];
    let records = DuesRecords {
        declarations: &[],
        payments: &payments,
        reliefs: &[],
    };
    let ledger = member_ledger(
        &newcomer,
        &records,
        &DuesPolicy::default(),
        ym("2026-02"),
        ym("2026-03"),
    );
    assert_eq!(
        ledger.months.iter().map(|m| m.state).collect::<Vec<_>>(),
        [MonthState::NotOwed, MonthState::Settled]
    );
    assert_eq!(ledger.payments[0].extra, yuan("0.20"));
    assert_eq!(
        flag_kinds(&ledger),
        [(DuesFlagKind::CoversMonthNotOwed, vec![ym("2026-02")])]
    );
}

#[test]
fn dues_rules_article_15_branch_monthly_collection_report_and_remittance() {
    use EmploymentCategory::*;
    let members = [
        member(1, "2020-01-01", Salaried),
        member(2, "2020-01-01", Retired),
        member(3, "2020-01-01", Salaried),
        member(4, "2026-03-20", Student),
        member_in(5, "2020-01-01", Salaried, OTHER_BRANCH),
    ];
    let declarations = [
        declaration(1, Salaried, "5000.01", "2025-01"),
        declaration(2, Retired, "4000.00", "2025-01"),
        declaration(5, Salaried, "9000.00", "2025-01"),
        // Member 3 has no declaration: owed, amount unknown.
    ];
    let payments = [
        payment(
            1,
            "2026-03-05",
            "75.00",
            &["2026-03"],
            PaymentMethod::Transfer,
        ),
        payment(
            1,
            "2026-03-05",
            "1000.00",
            &["2026-03"],
            PaymentMethod::Transfer,
        ),
        payment(
            2,
            "2026-03-28",
            "60.00",
            &["2026-01", "2026-02", "2026-03"],
            PaymentMethod::Payroll,
        ),
        payment(5, "2026-03-05", "135.00", &["2026-03"], PaymentMethod::Cash),
    ];
    let records = DuesRecords {
        declarations: &declarations,
        payments: &payments,
        reliefs: &[],
    };
    let policy = DuesPolicy {
        remit_share: BasisPoints(5_000),
        ..DuesPolicy::default()
    };
    let report = branch_collection_report(
        BRANCH,
        &members,
        &records,
        &policy,
        ym("2026-01"),
        ym("2026-03"),
    );
    let ids: Vec<i64> = report.members.iter().map(|line| line.member_id.0).collect();
    assert_eq!(ids, [1, 2, 3, 4], "member 5 belongs to another branch");
    // Expected for March: 75.00 + 20.00 + 0.20 (member 4 owes from the vote month); member 3 unknown.
    assert_eq!(report.expected, yuan("95.20"));
    assert_eq!(report.members_with_unknown_due, [MemberId(3)]);
    assert_eq!(report.collected, yuan("1135.00"));
    assert_eq!(report.collected_for_month, yuan("95.00"));
    // Member 1 paid March only (January and February are open); member 2 settled the quarter late.
    assert_eq!(
        report.members_in_arrears,
        [MemberId(1), MemberId(3), MemberId(4)]
    );
    assert_eq!(report.arrears_total, yuan("150.20"));
    let flags: Vec<(i64, DuesFlagKind)> = report
        .flags
        .iter()
        .map(|f| (f.member_id.0, f.kind))
        .collect();
    assert_eq!(
        flags,
        [
            (1, DuesFlagKind::LargeVoluntaryExtra),
            (2, DuesFlagKind::DeductedFromPay)
        ]
    );
    // The 1000.00 extra goes up whole; the rest is remitted at the provincial committee's share.
    assert_eq!(
        report.remittance.voluntary_extras_for_centre,
        yuan("1000.00")
    );
    assert_eq!(report.remittance.ordinary_collected, yuan("135.00"));
    assert_eq!(report.remittance.ordinary_remitted, yuan("67.50"));
    assert_eq!(report.remittance.total, yuan("1067.50"));
    let three = report
        .members
        .iter()
        .find(|line| line.member_id == MemberId(3))
        .expect("member 3");
    assert_eq!(
        three.unpaid_months,
        [ym("2026-01"), ym("2026-02"), ym("2026-03")]
    );
    assert_eq!(three.months_with_unknown_due.len(), 3);
    // By default the branch remits everything it collects.
    let everything = branch_collection_report(
        BRANCH,
        &members,
        &records,
        &DuesPolicy::default(),
        ym("2026-01"),
        ym("2026-03"),
    );
    assert_eq!(everything.remittance.total, yuan("1135.00"));
}

#[test]
fn dues_rules_article_9_a_member_transferred_mid_month_pays_that_month_to_the_branch_they_left() {
    let mut moved = member(1, "2020-01-01", EmploymentCategory::Student);
    moved.body.postings[0].until = Some(d("2026-03-15"));
    moved.body.postings.push(BranchPosting {
        branch_id: OTHER_BRANCH,
        group_id: None,
        from: d("2026-03-15"),
        until: None,
        transferred_in_from: None,
        transferred_out_to: None,
    });
    let table = [
        ("2026-02", Some(BRANCH)),
        ("2026-03", Some(BRANCH)),
        ("2026-04", Some(OTHER_BRANCH)),
    ];
    for (month, branch) in table {
        assert_eq!(dues_branch_for(&moved.body, ym(month)), branch, "{month}");
    }
    let newcomer = member(2, "2026-03-20", EmploymentCategory::Student);
    assert_eq!(
        dues_branch_for(&newcomer.body, ym("2026-03")),
        Some(BRANCH),
        "admitted mid-month"
    );
    assert_eq!(dues_branch_for(&newcomer.body, ym("2026-02")), None);
}

#[test]
fn dues_rule_ids_used_are_all_cited_with_their_article() {
    use EmploymentCategory::*;
    let mut used: Vec<&str> = [
        Salaried,
        AnnualSalary,
        SelfEmployed,
        Retired,
        Farmer,
        Student,
        UnemployedOrRelief,
    ]
    .into_iter()
    .map(rate_rule_id)
    .collect();
    used.extend([
        "DUES.HARDSHIP",
        "DUES.PROBATIONARY_START",
        "DUES.MONTHLY.PAYMENT_AND_ARREARS",
        "DUES.NONPAYMENT.SIX_MONTHS",
        "DUES.NO_ADVANCE_OR_DEDUCTION",
        "DUES.VOLUNTARY_EXTRA",
    ]);
    for id in used {
        let rule = dues_rule_text(id).unwrap_or_else(|| panic!("{id} has no citation"));
        assert!(
            rule.article_zh.starts_with('第') && rule.article_zh.ends_with('条'),
            "{id}"
        );
        let citation = dues_citation(id);
        assert!(citation.document.contains("中组发〔2008〕3号"), "{id}");
        assert_eq!(citation.article, rule.article_zh);
    }
    let articles = [
        ("DUES.RATE.SALARIED", "第二条"),
        ("DUES.RATE.RETIREE", "第五条"),
        ("DUES.RATE.FLAT", "第六条"),
        ("DUES.HARDSHIP", "第七条"),
        ("DUES.PROBATIONARY_START", "第八条"),
        ("DUES.RATE_CHANGE_MONTH", "第十条"),
        ("DUES.MONTHLY.PAYMENT_AND_ARREARS", "第十二条"),
        ("DUES.NONPAYMENT.SIX_MONTHS", "第十三条"),
        ("DUES.NO_ADVANCE_OR_DEDUCTION", "第十四条"),
    ];
    for (id, article) in articles {
        assert_eq!(
            dues_rule_text(id).map(|rule| rule.article_zh),
            Some(article),
            "{id}"
        );
    }
    assert_eq!(
        DuesRuleVersion::in_force_for(ym("2008-04")).map(|v| v.effective_from()),
        Some(d("2008-04-01"))
    );
}
