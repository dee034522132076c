//! Hidden progress (Nanda et al. 2023) on the default model: the measures move during the
//! plateau, before test accuracy does, and ablations behave as the circuit story says.
#![cfg(not(target_arch = "wasm32"))]

use grokking::{Config, Trainer};

#[test]
fn progress_measures_move_during_the_plateau() {
    // Train past grokking and read off the finished model's key frequencies, keeping a
    // copy of the run every 100 steps up to grokking, to measure against those keys.
    let mut first = Trainer::new(Config::default()).unwrap();
    let mut along = Vec::new();
    while first.step_count() < 2500 {
        first.run(100).unwrap();
        if first.grokked_at().is_none_or(|g| first.step_count() <= g) {
            along.push(first.clone());
        }
    }
    let grokked = first.grokked_at().expect("default run groks");
    let end = first.progress();
    let keys = end.keys.clone();
    let m = end.measures.expect("addition has progress measures");
    eprintln!("after {} steps: keys {keys:?}, {m:?}", first.step_count());
    assert!((3..=15).contains(&keys.len()), "key frequencies {keys:?}");
    assert!(end.key_share >= 0.9);
    assert!(
        m.restricted_loss < 0.05,
        "restricted loss after grokking: {}",
        m.restricted_loss
    );
    assert!(
        m.excluded_loss > 2.0,
        "excluded loss after grokking: {}",
        m.excluded_loss
    );
    assert!(
        m.restricted_test_acc > 0.99,
        "keeping the key frequencies keeps the answer"
    );
    assert!(
        m.excluded_test_acc < 0.1,
        "removing them drops test accuracy to near chance (1%): {}",
        m.excluded_test_acc
    );
    assert!(
        m.excluded_train_acc < 0.3,
        "and train accuracy far down from 100%: {}",
        m.excluded_train_acc
    );

    // Measure the run along the way against those keys.
    let mut rows = Vec::new(); // (step, test acc, restricted, excluded)
    for then in &mut along {
        let point = then.progress_with_keys(Some(&keys));
        let m = point.measures.unwrap();
        rows.push((
            then.step_count(),
            then.evaluate().test_acc,
            m.restricted_loss,
            m.excluded_loss,
        ));
    }
    assert_eq!(
        rows.len() as u64,
        grokked / 100,
        "a row every 100 steps up to grokking"
    );
    eprintln!("step, test acc, restricted loss, excluded loss: {rows:#?}");
    // The last plateau step at which test accuracy is still below 2%:
    let plateau: Vec<_> = rows.iter().filter(|r| r.1 < 0.02).collect();
    let (first_row, last_plateau) = (rows[0], **plateau.last().unwrap());
    assert!(
        last_plateau.0 >= 500,
        "a plateau of several hundred steps: {rows:?}"
    );
    // Restricted loss falls while test accuracy has not moved.
    assert!(
        last_plateau.2 < first_row.2 - 0.5,
        "restricted loss {} → {}",
        first_row.2,
        last_plateau.2
    );
    // Excluded loss first falls (memorisation finishing), then rises again — still on
    // the plateau: the memorising part is being replaced by the circuit.
    let lowest = plateau.iter().map(|r| r.3).fold(f64::INFINITY, f64::min);
    assert!(
        last_plateau.3 > 2.0 * lowest,
        "excluded loss {lowest} at its lowest, {} at step {}",
        last_plateau.3,
        last_plateau.0
    );
}
