//! Hand-edited states (issue 13, defects 7 and 12): refused with a sentence that names what is
//! wrong, and nothing written — never a silent last-wins or a wrapped serial.

use super::world::World;

fn applied() -> World {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run(&["apply", "--auto-approve"]).code(0);
    w
}

#[test]
fn a_state_with_one_address_twice_is_refused_naming_it() {
    let w = applied();
    let path = w.path("state/tailform.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("    \"tailnet.demo.auth_key.web\": {").unwrap();
    let end = start + text[start..].find("\n    }").unwrap() + 6;
    let record = text[start..end].to_owned();
    // The same address again, as a merge of two states would leave it (another key, no secret).
    let other = record.replace(&w.id_of("tailnet.demo.auth_key.web"), "kOtherKeyCNTRL");
    let doubled = text.replacen(&record, &format!("{record},\n{other}"), 1);
    std::fs::write(&path, &doubled).unwrap();
    for args in [&["plan"][..], &["apply", "--auto-approve"], &["output"]] {
        let run = w.run(args);
        run.code(1);
        assert!(
            run.stderr
                .contains("`tailnet.demo.auth_key.web` appears twice in one object"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        doubled,
        "nothing was written"
    );
}

#[test]
fn a_serial_at_its_maximum_refuses_to_save_instead_of_wrapping() {
    let w = applied();
    let path = w.path("state/tailform.json");
    for serial in ["9223372036854775807", "18446744073709551615"] {
        let mut state = w.state();
        state["serial"] = serde_json::from_str(serial).unwrap();
        let text = serde_json::to_string_pretty(&state).unwrap();
        std::fs::write(&path, &text).unwrap();
        let run = w.run(&[
            "apply",
            "--auto-approve",
            "--replace",
            "tailnet.demo.auth_key.web",
        ]);
        run.code(1);
        assert!(
            run.stderr
                .contains(&format!("the state's serial {serial} is at the maximum"))
                && run.stderr.contains("nothing was written"),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "nothing was written"
        );
    }
}
