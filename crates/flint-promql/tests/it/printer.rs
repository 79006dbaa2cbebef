//! The printer against every expression of the test scripts: what it prints parses back to
//! an expression that prints the same, and evaluates the same (checked by the scripts'
//! own `eval`s through `format`-free paths; here only the text is compared).

use flint_promql::parser::parse;

/// The expressions of all `eval` lines of the test scripts.
pub(crate) fn expressions() -> Vec<(String, String)> {
    let dir = flint_testkit::testdata::testdata_path("promql");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            let Some(rest) = [
                "eval instant",
                "eval range",
                "eval_fail instant",
                "eval_warn instant",
                "eval_info instant",
                "eval_ordered instant",
            ]
            .iter()
            .find_map(|p| line.strip_prefix(p)) else {
                continue;
            };
            // `at <time> <expr>` or `from <a> to <b> step <c> <expr>`.
            let words: Vec<&str> = rest.split_whitespace().collect();
            let skip = match words.first() {
                Some(&"at") => 2,
                Some(&"from") => 6,
                _ => continue,
            };
            let mut expr = rest.trim_start();
            for _ in 0..skip {
                expr = expr
                    .trim_start()
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, r)| r);
            }
            out.push((format!("{name}:{}", i + 1), expr.trim().to_owned()));
        }
    }
    out
}

#[test]
fn printing_round_trips() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (at, q) in expressions() {
        let Ok(e) = parse(&q) else { continue };
        let printed = e.to_string();
        match parse(&printed) {
            Ok(again) => {
                let reprinted = again.to_string();
                if reprinted != printed {
                    failures.push(format!(
                        "{at}: {q}\n  printed   {printed}\n  reprinted {reprinted}"
                    ));
                }
            }
            Err(err) => failures.push(format!(
                "{at}: {q}\n  printed {printed}\n  does not parse: {err}"
            )),
        }
        // The multi-line form reads as the same expression.
        let pretty = e.pretty();
        match parse(&pretty) {
            Ok(again) if again.to_string() == printed => {}
            Ok(again) => {
                failures.push(format!("{at}: {q}\n  pretty\n{pretty}\n  reads as {again}"))
            }
            Err(err) => failures.push(format!(
                "{at}: {q}\n  pretty\n{pretty}\n  does not parse: {err}"
            )),
        }
        checked += 1;
    }
    assert!(checked > 1500, "only {checked} expressions found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every prefix and suffix of every expression either parses or is an error: no panics.
#[test]
fn parser_survives_truncated_input() {
    let mut n = 0;
    for (_, q) in expressions() {
        for (i, _) in q.char_indices() {
            let _ = parse(&q[..i]);
            let _ = parse(&q[i..]);
            n += 2;
        }
    }
    assert!(n > 10_000);
}
