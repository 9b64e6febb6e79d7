//! Every public error enum of the published crates has `code()`: a stable snake-case
//! string per variant, the contract logs, metrics and callers match on. One test per
//! enum lists its codes in the order of `code()`'s arms (`*`: the arm returns the wrapped error's own
//! code); adding a variant without a code, renaming a code or
//! adding a catch-all arm fails here, and so does a new error enum nobody listed.

mod common;

/// The error enums the tests below list, by file.
const LISTED: &[(&str, &str)] = &[
    ("crates/onhand/src/error.rs", "Error"),
    ("crates/onhand/src/files/error.rs", "InputError"),
    ("crates/onhand/src/scenario/run.rs", "ScenarioError"),
    ("crates/onhand-atp/src/error.rs", "AtpError"),
    ("crates/onhand-cli/src/cli.rs", "UsageError"),
    ("crates/onhand-control/src/error.rs", "ControlError"),
    ("crates/onhand-insight/src/error.rs", "InsightError"),
    ("crates/onhand-ledger/src/error.rs", "LedgerError"),
    ("crates/onhand-ledger/src/testing.rs", "BuildError"),
    ("crates/onhand-master/src/decimal.rs", "DecimalError"),
    ("crates/onhand-master/src/error.rs", "MasterError"),
    ("crates/onhand-replenish/src/error.rs", "ReplenishError"),
    ("crates/onhand-status/src/error.rs", "StatusError"),
    ("crates/onhand-valuation/src/error.rs", "ValuationError"),
];

/// Checks `name` in `file` against `expected`.
fn check(file: &str, name: &str, expected: &[&str]) {
    let all = common::error_enums();
    let e = all
        .iter()
        .find(|e| e.file == file && e.name == name)
        .unwrap_or_else(|| panic!("no `pub enum {name}` in {file}"));
    let codes = e.codes.as_ref().unwrap_or_else(|| panic!("{name} has no `code()`"));
    assert!(!e.catch_all, "{name}::code() has a catch-all arm: every variant names its code");
    let mut variants: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
    let mut arms: Vec<&str> = codes.iter().map(|(v, _)| v.as_str()).collect();
    variants.sort_unstable();
    arms.sort_unstable();
    assert_eq!(arms, variants, "{name}::code() names each variant once");
    let got: Vec<&str> = codes.iter().map(|(_, c)| c.as_str()).collect();
    for c in &got {
        assert!(
            *c == "*"
                || (!c.is_empty()
                    && c.chars().all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '_')),
            "{name}: code {c:?} is not snake case"
        );
    }
    let mut unique: Vec<&&str> = got.iter().filter(|c| **c != "*").collect();
    unique.sort();
    let before = unique.len();
    unique.dedup();
    assert_eq!(before, unique.len(), "{name}: two variants share a code");
    assert_eq!(got, expected, "{name}: the codes are a stable contract; change them knowingly");
}

#[test]
fn every_error_enum_is_listed() {
    let missing: Vec<String> = common::error_enums()
        .iter()
        .filter(|e| !LISTED.contains(&(e.file.as_str(), e.name.as_str())))
        .map(|e| format!("{}: {}", e.file, e.name))
        .collect();
    assert!(missing.is_empty(), "error enums without a codes test here:\n{}", missing.join("\n"));
}

#[test]
fn the_checks_catch_a_variant_without_a_code() {
    // A copy of the status crate's enum with one variant too many fails the arm check.
    let all = common::error_enums();
    let e = all.iter().find(|e| e.name == "StatusError").expect("StatusError");
    let arms: Vec<&str> = e.codes.iter().flatten().map(|(v, _)| v.as_str()).collect();
    let mut variants: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(arms, variants);
    variants.push("Added");
    assert_ne!(arms, variants);
}

#[test]
fn onhand_error() {
    check(
        "crates/onhand/src/error.rs",
        "Error",
        &[
            "invalid_master_data",
            "*",
            "*",
            "*",
            "*",
            "*",
            "*",
            "*",
            "*",
            "config",
            "not_in_partition",
            "no_cost",
            "no_rate",
            "unknown_original",
            "not_costed",
            "back_dated_before_withdrawal",
            "unknown_order_line",
            "order_line_exists",
            "unknown_expected_receipt",
            "expected_receipt_exists",
            "zero_expected_receipt",
            "time_backwards",
            "too_many_cost_events",
            "overflow",
            "restore",
            "snapshot_format",
            "snapshot_digest",
            "snapshot_mismatch",
            "invalid_snapshot",
            "diverged",
            "poisoned",
            "call_diverged",
            "poisoned_after_call",
        ],
    );
}

#[test]
fn onhand_input_error() {
    check(
        "crates/onhand/src/files/error.rs",
        "InputError",
        &["read", "too_large", "empty", "not_utf8", "invalid"],
    );
}

#[test]
fn onhand_scenario_error() {
    check(
        "crates/onhand/src/scenario/run.rs",
        "ScenarioError",
        &["format", "network_spec", "build", "record", "step"],
    );
}

#[test]
fn onhand_atp_atp_error() {
    check(
        "crates/onhand-atp/src/error.rs",
        "AtpError",
        &[
            "date_out_of_range",
            "not_representable",
            "unknown_item",
            "unknown_site",
            "unknown_region",
            "quantity",
            "zero_quantity",
            "duplicate_line",
            "unknown_line",
            "invalid_claim",
            "quota_periods",
            "quota_share",
            "day_backwards",
            "too_many",
            "negative",
            "not_positive",
            "periods",
            "too_large",
            "snapshot_format",
            "invalid_snapshot",
            "overflow",
        ],
    );
}

#[test]
fn onhand_cli_usage_error() {
    check(
        "crates/onhand-cli/src/cli.rs",
        "UsageError",
        &[
            "no_command",
            "unknown_command",
            "unknown_option",
            "missing_value",
            "bad_value",
            "unexpected_argument",
            "no_files",
            "unknown_extension",
            "stdin_without_format",
            "stdin_twice",
            "argument_not_utf8",
        ],
    );
}

#[test]
fn onhand_control_control_error() {
    check(
        "crates/onhand-control/src/error.rs",
        "ControlError",
        &[
            "invalid_rules",
            "invalid_code",
            "subject_mismatch",
            "site_mismatch",
            "missing_hold",
            "unexpected_hold",
            "negative_impact",
            "unknown_currency",
            "value_too_large",
            "time_out_of_range",
            "no_route",
            "unknown_exception",
            "unknown_approval",
            "refused",
            "illegal_transition",
            "decided_by_approval",
            "self_approval",
            "already_decided",
            "invalid_snapshot",
        ],
    );
}

#[test]
fn onhand_insight_insight_error() {
    check(
        "crates/onhand-insight/src/error.rs",
        "InsightError",
        &[
            "unknown_site",
            "unknown_entity",
            "unknown_line",
            "duplicate_line",
            "line_closed",
            "unknown_transfer",
            "duplicate_transfer",
            "transfer_step",
            "unknown_mismatch",
            "duplicate_mismatch",
            "out_of_order",
            "unit_mismatch",
            "invalid_record",
            "beyond_range",
            "overflow",
            "invalid_config",
            "config_mismatch",
            "merge_overlap",
            "unsupported_dimension",
            "snapshot_format",
            "invalid_snapshot",
        ],
    );
}

#[test]
fn onhand_ledger_ledger_error() {
    check(
        "crates/onhand-ledger/src/error.rs",
        "LedgerError",
        &[
            "invalid_code",
            "id_reused",
            "time_precision",
            "vetoed",
            "period_closed",
            "entity_period_closed",
            "close_not_forward",
            "close_beyond_recorded",
            "over_receipt",
            "not_network_wide",
            "nothing_to_reopen",
            "reopen_not_back",
            "not_permitted",
            "out_of_scope",
            "reason_not_allowed",
            "no_lines",
            "unknown_item",
            "unknown_site",
            "unknown_bin",
            "unknown_entity",
            "bin_mismatch",
            "quantity",
            "zero_quantity",
            "negative_cost",
            "field_not_allowed",
            "lot_mismatch",
            "unknown_lot",
            "lot_expired",
            "serial_count",
            "serial_repeated",
            "serial_in_network",
            "back_dated_serial_count",
            "lot_expiry_conflict",
            "close_in_future",
            "serial_not_here",
            "illegal_move",
            "wrong_statuses",
            "insufficient_stock",
            "unknown_original",
            "not_reversible",
            "already_reversed",
            "reversal_refused",
            "original_required",
            "not_a_receipt",
            "return_exceeds_receipt",
            "return_before_original",
            "no_such_pending",
            "self_approval",
            "already_approved",
            "unknown_actor",
            "actor_not_valid",
            "approver_lacks_role",
            "unknown_transfer",
            "transfer_exists",
            "transfer_state",
            "transfer_site",
            "transfer_to_self",
            "not_on_transfer",
            "received_before_shipped",
            "over_shipment",
            "wrong_document",
            "invalid_rules",
            "overflow",
            "journal_broken",
            "snapshot_format",
            "journal_gap",
            "journal_repeat",
            "journal_format",
            "mark_mismatch",
            "snapshot_digest",
            "restore",
            "invalid_snapshot",
            "base_unit",
        ],
    );
}

#[test]
fn onhand_ledger_build_error() {
    check(
        "crates/onhand-ledger/src/testing.rs",
        "BuildError",
        &["*", "*", "*", "time", "no_price"],
    );
}

#[test]
fn onhand_master_decimal_error() {
    check(
        "crates/onhand-master/src/decimal.rs",
        "DecimalError",
        &[
            "inexact",
            "division_by_zero",
            "overflow",
            "precision",
            "scale_too_large",
            "not_a_multiple",
            "bad_increment",
            "scale_or_increment",
        ],
    );
}

#[test]
fn onhand_master_master_error() {
    check(
        "crates/onhand-master/src/error.rs",
        "MasterError",
        &[
            "invalid_code",
            "invalid_uom",
            "unknown_currency",
            "negative_qty",
            "unit_mismatch",
            "currency_mismatch",
            "no_conversion",
            "unknown_uom",
            "inexact",
            "inexact_money",
            "decimal",
            "overflow",
            "not_positive",
            "parse",
            "unit_redefined",
            "not_a_multiple",
            "inexact_price",
        ],
    );
}

#[test]
fn onhand_replenish_replenish_error() {
    check(
        "crates/onhand-replenish/src/error.rs",
        "ReplenishError",
        &[
            "invalid_input",
            "unknown_item",
            "unknown_site",
            "target",
            "quantity",
            "overflow",
            "no_review_period",
            "no_rate",
            "no_entity",
            "duplicate_item_site",
            "no_state",
            "no_lane",
            "max_below_min",
            "no_order_fits",
            "no_service_target",
            "too_few_periods",
            "too_few_observations",
            "plan_too_large",
            "duplicate_site",
            "unknown_source",
            "source_cycle",
        ],
    );
}

#[test]
fn onhand_status_status_error() {
    check(
        "crates/onhand-status/src/error.rs",
        "StatusError",
        &[
            "unknown_status",
            "illegal_move",
            "nettable_not_on_hand",
            "unknown_local_code",
            "inexpressible",
            "invalid_maps",
        ],
    );
}

#[test]
fn onhand_valuation_valuation_error() {
    check(
        "crates/onhand-valuation/src/error.rs",
        "ValuationError",
        &[
            "unknown_item",
            "unknown_site",
            "unknown_entity",
            "no_owner",
            "quantity",
            "not_positive",
            "currency",
            "insufficient",
            "no_cost",
            "no_agreement",
            "no_price",
            "missing_rate",
            "unknown_transfer",
            "transfer_exists",
            "transfer_closed",
            "unknown_receipt",
            "unknown_issue",
            "return_not_of_sale",
            "return_exceeds_sale",
            "negative_cost",
            "return_without_cost",
            "not_standard",
            "period_closed",
            "entity_period_closed",
            "nothing_to_reopen",
            "reopen_not_back",
            "close_not_forward",
            "id_reused",
            "back_dated_shortage",
            "transfer_recosted",
            "returned_issue_recosted",
            "over_receipt",
            "before_shipment",
            "site_required",
            "too_large",
            "config",
            "snapshot_format",
            "snapshot_digest",
            "restore",
            "overflow",
            "unknown_original",
            "not_reversible",
            "already_reversed",
            "reversal_refused",
            "return_exceeds_receipt",
            "method_change",
        ],
    );
}
