//! The phase diagram of the default model agrees with DESIGN.md: no generalisation
//! without weight decay, earlier generalisation with more data or (up to a point) more
//! decay, and no fit at all with far too much decay. Cells are classified by the same
//! rule as `grok sweep` and the page (`sweep::run_cell`, `Phase::classify`).
#![cfg(not(target_arch = "wasm32"))]

use grokking::sweep::{run_cell, Cell, Phase};
use grokking::Config;

#[test]
fn default_model_phase_diagram_agrees_with_the_known_facts() {
    let cells = [
        (0.0, 0.3),
        (0.0, 0.5),
        (1.0, 0.3),
        (1.0, 0.5),
        (3.0, 0.3),
        (10.0, 0.3),
    ];
    // The cells are independent runs: one thread each.
    let results: Vec<Cell> = std::thread::scope(|scope| {
        let runs = cells.map(|(wd, frac)| {
            scope.spawn(move || {
                run_cell(
                    &Config {
                        wd,
                        frac,
                        ..Config::default()
                    },
                    2000,
                )
            })
        });
        runs.into_iter()
            .map(|run| run.join().unwrap().unwrap())
            .collect()
    });
    let cell = |wd: f64, frac: f64| {
        results
            .iter()
            .find(|c| c.wd == wd && c.frac == frac)
            .unwrap()
    };
    for c in &results {
        eprintln!(
            "wd {:<4} frac {}: {:?} (fit {:?}, generalise {:?})",
            c.wd, c.frac, c.phase, c.steps_to_train_99, c.steps_to_test_95
        );
    }

    assert_eq!(cell(0.0, 0.3).phase, Phase::Memorisation);
    assert_eq!(cell(0.0, 0.5).phase, Phase::Memorisation);
    assert_eq!(cell(1.0, 0.3).phase, Phase::Grokking);
    let gen = |wd, frac| cell(wd, frac).steps_to_test_95.expect("generalises");
    assert!(
        gen(1.0, 0.5) < gen(1.0, 0.3),
        "more data generalises sooner"
    );
    assert!(
        gen(3.0, 0.3) < gen(1.0, 0.3),
        "more decay generalises sooner (up to a point)"
    );
    assert_eq!(cell(10.0, 0.3).phase, Phase::Confusion);
}
