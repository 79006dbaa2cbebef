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
        match cfg.template_files() {
            Ok(files) => match files
                .iter()
                .find_map(|f| std::fs::read(f).err().map(|e| (f, e)))
            {
                Some((f, e)) => {
                    writeln!(out, "  FAILED: {}: {e}", f.display())?;
                    ok = false;
                }
                None => writeln!(out, "  SUCCESS")?,
            },
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
