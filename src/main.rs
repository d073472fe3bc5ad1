use std::io::{self, Write};

use clap::Parser;

use certcheck::cli::Cli;
use certcheck::config::{Config, Env, Format, Mode};
use certcheck::exit::{self, ExitCode};
use certcheck::render::{self, Style};
use certcheck::{demo, run as modes};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_cli(cli, Env::from_process()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("certcheck: {err}");
            return ExitCode::Usage.into();
        }
    };
    match run(&config) {
        Ok(code) => code.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::Ok.into(),
        Err(err) => {
            eprintln!("certcheck: {err:#}");
            ExitCode::Usage.into()
        }
    }
}

fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let style = Style::detect(config.color);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match &config.mode {
        Mode::Check | Mode::Inspect(_) | Mode::Show(_) => {
            let progress = progress_bar(config);
            let mut stream_error = None;
            let checked_at = certcheck::diagnose::text::date(config.settings.now);
            let report = modes::run(config, &mut |result| {
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                if config.format == Format::Jsonl && stream_error.is_none() {
                    stream_error = render::json::write_line(
                        result,
                        env!("CARGO_PKG_VERSION"),
                        &checked_at,
                        &mut out,
                    )
                    .err();
                }
            })?;
            if let Some(bar) = progress {
                bar.finish_and_clear();
            }
            if let Some(err) = stream_error {
                return Err(err.into());
            }
            if matches!(config.mode, Mode::Show(_)) && config.format == Format::Human {
                render::show::write_show(&report, &mut out)?;
            } else {
                render::render(&report, config.format, style, config.verbose, &mut out)?;
            }
            if config.chain_output.showcerts && config.format == Format::Human {
                render::show::write_showcerts(&report, &mut out)?;
            }
            out.flush()?;
            let mut code = exit::for_report(&report);
            if let Some(path) = &config.chain_output.save_chain {
                match render::show::save_chain(&report, path) {
                    Ok(count) => eprintln!(
                        "certcheck: wrote {count} certificate(s) to {}",
                        path.display()
                    ),
                    // Nothing was presented: the report already says why (exit 3).
                    Err(err @ render::show::SaveChainError::Empty(_)) => {
                        eprintln!("certcheck: {err}")
                    }
                    Err(err) => {
                        eprintln!("certcheck: {err}");
                        code = ExitCode::Usage;
                    }
                }
            }
            // The process ends now: freeing a large report piece by piece is wasted time.
            std::mem::forget(report);
            Ok(code)
        }
        Mode::Stores => {
            let report = modes::stores::stores_report(config);
            render::render_stores(&report, config.format, style, &mut out)?;
            Ok(ExitCode::Ok)
        }
        Mode::Explain(code) => match render::explain::write_explain(code.as_deref(), &mut out) {
            Ok(written) => {
                written?;
                out.flush()?;
                Ok(ExitCode::Ok)
            }
            Err(unknown) => {
                eprintln!("certcheck: {unknown}");
                Ok(ExitCode::Usage)
            }
        },
        Mode::Completions(shell) => {
            render::docs::write_completions(*shell, &mut out)?;
            Ok(ExitCode::Ok)
        }
        Mode::Man => {
            render::docs::write_man(&mut out)?;
            Ok(ExitCode::Ok)
        }
        Mode::Demo => {
            let run = demo::run(config, modes::load_stores(config))?;
            render::render(&run.report, config.format, style, true, &mut out)?;
            if config.format == Format::Human {
                render::human::write_demo(&run.outcomes, style, &mut out)?;
            }
            out.flush()?;
            Ok(if run.outcomes.iter().all(|o| o.passed) {
                ExitCode::Ok
            } else {
                ExitCode::Untrusted
            })
        }
    }
}

/// A progress bar on stderr, only on a terminal and only for several targets.
fn progress_bar(config: &Config) -> Option<indicatif::ProgressBar> {
    let count = match &config.mode {
        Mode::Inspect(options) => options.files.len(),
        Mode::Show(options) => options.order.len(),
        _ => config.jobs.len(),
    };
    if !config.env.stderr_is_terminal || count < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(count as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} targets checked ({elapsed})")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
