//! `flint check alertmanager-config`: validates `alertmanager.yml` files and prints what they
//! hold, like `amtool check-config`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use flint_alertmanager::config::Config;

/// Arguments of `flint check alertmanager-config`.
#[derive(Debug, Args)]
pub struct CheckAmConfigArgs {
    /// The configuration files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Checks every file; exit status 1 when any fails.
pub fn run(args: &CheckAmConfigArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut failed = 0;
    for f in &args.files {
        if !check(f, out)? {
            failed += 1;
        }
        writeln!(out)?;
    }
    if failed > 0 {
        eprintln!("flint: error: failed to validate {failed} file(s)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn check(path: &std::path::Path, out: &mut impl Write) -> anyhow::Result<bool> {
    write!(out, "Checking '{}'", path.display())?;
    let cfg = match Config::load_file(path) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "  FAILED: {e}")?;
            return Ok(false);
        }
    };
    writeln!(out, "  SUCCESS")?;
    writeln!(out, "Found:")?;
    writeln!(out, " - global config")?;
    writeln!(out, " - route")?;
    writeln!(out, " - {} inhibit rules", cfg.inhibit_rules.len())?;
    writeln!(out, " - {} receivers", cfg.receivers.len())?;
    writeln!(out, " - {} templates", cfg.templates.len())?;
    let mut ok = true;
    if !cfg.templates.is_empty() {
        // Parse them as the Alertmanager will (default templates plus the files).
        match flint_alertmanager::notify::template::Tmpl::new(&cfg) {
            Ok(_) => writeln!(out, "  SUCCESS")?,
            Err(e) => {
                writeln!(out, "  FAILED: {e}")?;
                ok = false;
            }
        }
    }
    if let Err(e) = cfg.check_supported() {
        writeln!(
            out,
            "  WARNING: {e}; `flint alertmanager` will refuse to start with it"
        )?;
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(path: &std::path::Path) -> (bool, String) {
        let mut out = Vec::new();
        let ok = check(path, &mut out).unwrap_or(false);
        (ok, String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn output_matches_amtool() {
        let dir = tempfile::tempdir().expect("tmp");
        let good = dir.path().join("good.yml");
        std::fs::write(&good, "route: {receiver: a}\nreceivers: [{name: a}, {name: b}]\ninhibit_rules: [{source_matchers: [a=b], target_matchers: [c=d]}]\n").expect("write");
        let bad = dir.path().join("bad.yml");
        std::fs::write(&bad, "route: {receiver: nope}\nreceivers: [{name: a}]\n").expect("write");
        let (ok, text) = ours(&good);
        assert!(ok);
        assert!(text.ends_with("SUCCESS\nFound:\n - global config\n - route\n - 1 inhibit rules\n - 2 receivers\n - 0 templates\n"), "{text}");
        let (ok, text) = ours(&bad);
        assert!(!ok);
        assert!(
            text.contains("FAILED: undefined receiver \"nope\" used in route"),
            "{text}"
        );
        let Some(amtool) = flint_testkit::find_program("amtool") else {
            return;
        };
        for f in [&good, &bad] {
            let o = std::process::Command::new(&amtool)
                .arg("check-config")
                .arg(f)
                .output()
                .expect("amtool");
            let theirs = String::from_utf8_lossy(&o.stdout).into_owned();
            let (_, mine) = ours(f);
            assert_eq!(mine.trim_end(), theirs.trim_end(), "{}", f.display());
        }
    }
}
