//! Each peer engine agrees with the native baseline (only with its feature:
//! `cargo test -p leadroute-bench --features peers`).
#![cfg(any(feature = "cedar", feature = "datalogic", feature = "zen"))]

use leadroute_bench::leads::{generate, Mix};
use leadroute_bench::table::table;
use leadroute_bench::{expect_agreement, expected};

const N: usize = 1_000;

#[cfg(feature = "cedar")]
#[test]
fn cedar_agrees_with_native() {
    use leadroute_bench::cedar::{cedar_source, Cedar};
    let t = table();
    let cedar = Cedar::new(&t, &cedar_source(&t)).unwrap_or_else(|e| panic!("{e}"));
    for mix in Mix::ALL {
        let set = generate(mix, N, 3);
        expect_agreement("cedar", mix, &set, &expected(&set), |i| cedar.decide(&set.native[i]));
    }
}

#[cfg(feature = "datalogic")]
#[test]
fn jsonlogic_agrees_with_native() {
    use leadroute_bench::jsonlogic::{jsonlogic_rule, JsonLogic};
    let t = table();
    let mut logic = JsonLogic::new(&jsonlogic_rule(&t).to_string()).unwrap_or_else(|e| panic!("{e}"));
    for mix in Mix::ALL {
        let set = generate(mix, N, 3);
        let want = expected(&set);
        let parsed: Vec<_> = set.json.iter().map(|j| JsonLogic::parse(j)).collect();
        expect_agreement("datalogic (ParsedData)", mix, &set, &want, |i| logic.decide_parsed(&parsed[i]));
        let values: Vec<serde_json::Value> = set.json.iter().map(|j| serde_json::from_str(j).expect("valid JSON")).collect();
        expect_agreement("datalogic (Value)", mix, &set, &want, |i| logic.decide_value(&values[i]));
    }
}

#[cfg(feature = "datalogic")]
#[test]
fn nested_jsonlogic_agrees_with_native() {
    use leadroute_bench::jsonlogic::{jsonlogic_nested, JsonLogic};
    let t = table();
    let rule = jsonlogic_nested(&t).unwrap_or_else(|e| panic!("{e}"));
    let mut logic = JsonLogic::new(&rule.to_string()).unwrap_or_else(|e| panic!("{e}"));
    for mix in Mix::ALL {
        let set = generate(mix, N, 3);
        let want = expected(&set);
        let parsed: Vec<_> = set.json.iter().map(|j| JsonLogic::parse(j)).collect();
        expect_agreement("datalogic nested (ParsedData)", mix, &set, &want, |i| logic.decide_parsed(&parsed[i]));
        let values: Vec<serde_json::Value> = set.json.iter().map(|j| serde_json::from_str(j).expect("valid JSON")).collect();
        expect_agreement("datalogic nested (Value)", mix, &set, &want, |i| logic.decide_value(&values[i]));
    }
}

/// A lead the nested encodings could get wrong if they leaned on the
/// generated leads: a negative head count is in no band, so it falls back.
#[cfg(feature = "datalogic")]
#[test]
fn nested_jsonlogic_sends_a_negative_head_count_to_the_fallback() {
    use leadroute_bench::jsonlogic::{jsonlogic_nested, JsonLogic};
    let t = table();
    let mut logic = JsonLogic::new(&jsonlogic_nested(&t).unwrap_or_else(|e| panic!("{e}")).to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let lead = r#"{"country":"US","state":"CA","score":85.0,"source":"chat","employees":-5}"#;
    assert_eq!(logic.decide_parsed(&JsonLogic::parse(lead)), t.fallback);
    let lead = r#"{"country":"US","state":"CA","score":85.0,"source":"chat","employees":5}"#;
    assert_ne!(logic.decide_parsed(&JsonLogic::parse(lead)), t.fallback);
}

#[cfg(feature = "zen")]
#[test]
fn nested_zen_agrees_with_native() {
    use leadroute_bench::zen::{jdm_nested, Zen};
    let t = table();
    let zen = Zen::new(&jdm_nested(&t).unwrap_or_else(|e| panic!("{e}")).to_string()).unwrap_or_else(|e| panic!("{e}"));
    for mix in Mix::ALL {
        let set = generate(mix, N, 3);
        let inputs: Vec<_> = set.json.iter().map(|j| Zen::input(j)).collect();
        // Twice over the same inputs: the switch node prunes a per-call copy of the graph, never the loaded one.
        for _ in 0..2 {
            expect_agreement("zen nested", mix, &set, &expected(&set), |i| zen.decide(&inputs[i]));
        }
    }
}

#[cfg(feature = "zen")]
#[test]
fn zen_agrees_with_native() {
    use leadroute_bench::zen::{jdm_graph, Zen};
    let t = table();
    let zen = Zen::new(&jdm_graph(&t).to_string()).unwrap_or_else(|e| panic!("{e}"));
    for mix in Mix::ALL {
        let set = generate(mix, N, 3);
        let inputs: Vec<_> = set.json.iter().map(|j| Zen::input(j)).collect();
        // Twice over the same inputs: evaluation must not change them.
        for _ in 0..2 {
            expect_agreement("zen", mix, &set, &expected(&set), |i| zen.decide(&inputs[i]));
        }
    }
}
