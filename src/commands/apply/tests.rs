//! Unit tests of `apply`.

use super::*;

fn addr(s: &str) -> Address {
    s.parse().expect("a valid address")
}

/// Issue 18, bug 2: a step skipped in the first round (a delivery after a failed create)
/// stays in the summary after a recovery round that skips nothing. `absorb` used to assign
/// the round's count instead of adding it ("1 failed, 0 skipped").
#[test]
fn issue_18_steps_skipped_in_an_earlier_round_stay_counted() {
    let lost = addr("tailnet.demo.auth_key.ci-runner");
    let web = addr("tailnet.demo.auth_key.web");
    let step = |address: &Address, described: String| apply::ReportedStep {
        address: address.clone(),
        described,
    };
    let first = ApplyReport {
        applied: vec![step(
            &addr("tailnet.demo"),
            "create tailnet tailnet.demo".into(),
        )],
        failed: vec![
            FailedStep {
                step: step(&web, format!("create auth key {web}")),
                failure: apply::StepFailure::new("the API answered 500"),
            },
            FailedStep {
                step: step(&lost, format!("create auth key {lost}")),
                failure: apply::StepFailure {
                    message: "connection reset".into(),
                    outcome_unknown: true,
                },
            },
        ],
        skipped: vec![step(&web, format!("deliver secret {web}"))],
        outcome_unknown: vec![lost.clone()],
        ..ApplyReport::default()
    };
    let recovery = ApplyReport {
        applied: vec![step(&lost, format!("create auth key {lost}"))],
        ..ApplyReport::default()
    };
    let mut outcome = Outcome::default();
    outcome.absorb(&first);
    outcome.absorb(&recovery);
    assert_eq!(outcome.skipped, 1);
    assert_eq!(
        outcome.line(Summary::default(), 0),
        "\nApply failed: 2 step(s) applied, 1 failed, 1 skipped (1 create(s) with a lost \
         response recovered).\n  failed: create auth key tailnet.demo.auth_key.web: the API \
         answered 500"
    );
}
