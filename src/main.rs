use std::io::{self, Write};

use clap::Parser;

use certcheck::cli::Cli;
use certcheck::config::{Config, Detail, Env, Format, Mode};
use certcheck::exit::{self, ExitCode};
use certcheck::render::{self, Style};
use certcheck::report::metrics::Metrics;
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
        Err(err) => {
            eprintln!("certcheck: {err:#}");
            ExitCode::Usage.into()
        }
    }
}

fn run(config: &Config) -> anyhow::Result<ExitCode> {
    let style = Style::of(config);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match &config.mode {
        Mode::Check | Mode::Inspect(_)
            if config.format.streams() && config.chain_output.save_chain.is_none() =>
        {
            // Nothing is kept but what the output needs: a line is written as each result
            // completes; Prometheus's exposition groups each metric, so a few numbers per target
            // are kept until the end.
            let progress = Progress::new(config);
            let mut stream_error = None;
            let mut metrics = Metrics::new();
            let checked_at = certcheck::diagnose::text::date(config.settings.now);
            let code = modes::run_streaming(config, &mut |_, result| {
                progress.tick();
                match config.format {
                    Format::Prometheus => metrics.push(result),
                    _ if stream_error.is_none() => {
                        stream_error = json_line(result, &checked_at, &mut out).err();
                    }
                    _ => {}
                }
            })?;
            progress.finish();
            // A reader that went away ends the output, not the verdict (see below).
            let written = match stream_error {
                Some(err) => Err(err),
                None if config.format == Format::Prometheus => {
                    render::prometheus::write(&metrics, &mut out).and_then(|()| out.flush())
                }
                None => out.flush(),
            };
            unless_reader_left(written)?;
            Ok(code)
        }
        Mode::Check if fleet_summary(config) => {
            // A fleet's first screen is a line per target and the summary: each result is cut
            // down to what those need as it completes, so memory stays small per target.
            let progress = Progress::new(config);
            let mut results = Vec::new();
            let code = modes::run_streaming(config, &mut |index, result| {
                progress.tick();
                results.push((index, result.clone().summary_only()));
            })?;
            progress.finish();
            results.sort_unstable_by_key(|(index, _)| *index);
            let results = results.into_iter().map(|(_, result)| result).collect();
            let report = modes::report_of(config, results);
            unless_reader_left(
                render::render(&report, config.format, style, &mut out).and_then(|()| out.flush()),
            )?;
            Ok(code)
        }
        Mode::Serve(options) => {
            modes::serve::serve(config, options, &mut |addr| {
                eprintln!(
                    "certcheck serve: listening on http://{addr}/ (GET /probe?target=HOST:PORT, /metrics)"
                );
            })?;
            Ok(ExitCode::Ok)
        }
        Mode::Check | Mode::Inspect(_) | Mode::Show(_) => {
            let progress = Progress::new(config);
            let mut stream_error = None;
            let checked_at = certcheck::diagnose::text::date(config.settings.now);
            let report = modes::run(config, &mut |result| {
                progress.tick();
                if config.format == Format::Jsonl && stream_error.is_none() {
                    stream_error = json_line(result, &checked_at, &mut out).err();
                }
            })?;
            progress.finish();
            let mut code = exit::for_report(&report);
            // A reader that went away (`| head`) ends the output, not the verdict: the exit code
            // is the report's either way, so `certcheck broken:443 | true` still fails under
            // `pipefail`.
            let human = config.format == Format::Human;
            let written = match stream_error {
                Some(err) => Err(err),
                None => (|| {
                    if matches!(config.mode, Mode::Show(_)) && human {
                        render::show::write_show(&report, &mut out)?;
                    } else {
                        render::render(&report, config.format, style, &mut out)?;
                    }
                    if config.chain_output.showcerts && human {
                        render::show::write_showcerts(&report, &mut out)?;
                    }
                    out.flush()
                })(),
            };
            unless_reader_left(written)?;
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
            unless_reader_left(
                render::render_stores(&report, config.format, style, &mut out)
                    .and_then(|()| out.flush()),
            )?;
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
            // The demo is a tour: every report in full unless `--quiet`.
            let style = Style {
                detail: match config.detail {
                    Detail::Quiet => Detail::Quiet,
                    Detail::Normal | Detail::Verbose => Detail::Verbose,
                },
                ..style
            };
            unless_reader_left(
                render::render(&run.report, config.format, style, &mut out).and_then(|()| {
                    if config.format == Format::Jsonl {
                        for result in &run.report.results {
                            json_line(result, &run.report.checked_at, &mut out)?;
                        }
                    }
                    if config.format == Format::Human {
                        render::human::write_demo(&run.outcomes, style, &mut out)?;
                    }
                    out.flush()
                }),
            )?;
            Ok(if run.outcomes.iter().all(|o| o.passed) {
                ExitCode::Ok
            } else {
                ExitCode::Untrusted
            })
        }
    }
}

/// Whether the run is a fleet whose human report is the first lines and the summary only
/// (several targets, neither `--verbose` nor a chain to print or save).
fn fleet_summary(config: &Config) -> bool {
    config.format == Format::Human
        && config.detail != Detail::Verbose
        && !config.chain_output.showcerts
        && config.chain_output.save_chain.is_none()
        && config.job_count().is_some_and(|n| n > 1)
}

/// One `--jsonl` line for `result`, with this version and the run's instant.
fn json_line(
    result: &certcheck::report::TargetReport,
    checked_at: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    render::json::write_line(result, env!("CARGO_PKG_VERSION"), checked_at, out)
}

/// A progress bar on stderr, only on a terminal and only for several targets.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(config: &Config) -> Progress {
        let count = match &config.mode {
            Mode::Inspect(options) => Some(options.files.len()),
            Mode::Show(options) => Some(options.order.len()),
            _ => config.job_count(),
        };
        let Some(count) = count.filter(|&n| config.env.stderr_is_terminal && n >= 2) else {
            return Progress(None);
        };
        let bar = indicatif::ProgressBar::new(count as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} targets checked ({elapsed})",
        ) {
            bar.set_style(style);
        }
        // Redrawn on a timer, not only when a target completes, so the elapsed time moves while
        // a slow target holds everything up.
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress(Some(bar))
    }

    /// One more target done.
    fn tick(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    /// All done: the bar goes away.
    fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Output that failed because its reader closed the pipe is not an error of certcheck's (the
/// exit code still follows the report); any other write error is.
fn unless_reader_left(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
